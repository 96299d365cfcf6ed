//! The installation store: one workspace per tenant, the bot token encrypted at rest and bound
//! to its team, a team connected to one tenant only.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_adapters::slack::installation::{self, NewInstallation, StoreError};
use incidentd_adapters::slack::token_crypto::TokenKey;
use incidentd_testkit::pipeline::database;
use incidentd_wire::secret::Secret;
use pollster::block_on;
use sluice::sql::Database;

const TOKEN: &str = "xoxb-42-very-secret";

fn key(byte: u8) -> TokenKey {
    TokenKey::from_base64(&Secret::new(BASE64.encode([byte; 32]))).unwrap()
}

fn workspace(tenant: &str, team: &str) -> NewInstallation {
    NewInstallation {
        tenant_id: tenant.into(),
        team_id: team.into(),
        enterprise_id: None,
        app_id: Some("A1".into()),
        bot_user_id: "UBOT".into(),
        scopes: "chat:write".into(),
        token: Secret::new(TOKEN),
        settings: Default::default(),
    }
}

#[test]
fn a_stored_installation_is_found_by_team_and_tenant_with_its_token_encrypted() {
    let db = database();
    block_on(installation::store(
        db.as_ref(),
        &key(1),
        &workspace("demo", "T1"),
        5,
    ))
    .unwrap();

    let by_team = block_on(installation::by_team(db.as_ref(), "T1"))
        .unwrap()
        .unwrap();
    let by_tenant = block_on(installation::for_tenant(db.as_ref(), "demo"))
        .unwrap()
        .unwrap();
    assert_eq!(by_team, by_tenant);
    assert_eq!(
        (by_team.tenant_id.as_str(), by_team.bot_user_id.as_str()),
        ("demo", "UBOT")
    );
    assert_eq!(by_team.token(&key(1)).unwrap().expose(), TOKEN);
    assert!(
        by_team.token(&key(2)).is_err(),
        "another key does not decrypt"
    );
    assert!(!format!("{by_team:?}").contains(TOKEN));

    let rows = block_on(db.query("SELECT * FROM integration", vec![])).unwrap();
    let stored = serde_json::to_string(&rows).unwrap();
    assert!(
        !stored.contains(TOKEN),
        "the token is never stored in the clear: {stored}"
    );
    assert!(stored.contains("\"bot_token_encrypted\":\"v1:"));
    assert_eq!(
        block_on(installation::by_team(db.as_ref(), "T2")).unwrap(),
        None
    );
}

#[test]
fn reconnecting_replaces_the_tenants_workspace_and_a_team_belongs_to_one_tenant() {
    let db = database();
    let store = |new: NewInstallation| block_on(installation::store(db.as_ref(), &key(1), &new, 0));
    store(workspace("demo", "T1")).unwrap();
    store(workspace("demo", "T2")).unwrap();
    assert_eq!(
        block_on(installation::by_team(db.as_ref(), "T1")).unwrap(),
        None
    );
    let moved = block_on(installation::for_tenant(db.as_ref(), "demo"))
        .unwrap()
        .unwrap();
    assert_eq!(moved.team_id, "T2");
    // One workspace, one tenant: events from it must resolve to exactly one.
    assert_eq!(store(workspace("other", "T2")), Err(StoreError::TeamTaken));
}

#[test]
fn tenants_are_checked_before_connecting() {
    let db = database();
    block_on(db.execute(
        "INSERT INTO client (id, name, created_at) VALUES ('demo', 'Demo', 0)",
        vec![],
    ))
    .unwrap();
    assert!(block_on(installation::tenant_exists(db.as_ref(), "demo")).unwrap());
    assert!(!block_on(installation::tenant_exists(db.as_ref(), "dmeo")).unwrap());
}
