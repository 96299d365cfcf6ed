//! The OAuth install against `FakeSlack`: the authorize link, then the callback's exchange
//! and store; every refusal writes nothing.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_adapters::slack::config;
use incidentd_adapters::slack::inbound::oauth::{
    self, CallbackError, CallbackQuery, OAuthApp, StateError, BOT_SCOPES, CALLBACK_PATH,
};
use incidentd_adapters::slack::installation::{
    self, DisabledReason, NewInstallation, SettingsPatch,
};
use incidentd_adapters::slack::token_crypto::TokenKey;
use incidentd_testkit::pipeline::database;
use incidentd_testkit::{
    FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_OAUTH_CODE, FAKE_TEAM_ID,
};
use incidentd_wire::secret::Secret;
use pollster::block_on;
use sluice::native::{NativeHttp, NativeServices, SqliteDatabase};
use sluice::sql::Database;
use std::collections::HashMap;
use std::rc::Rc;

const NOW_MS: i64 = 1_790_000_000_000;
const STATE_SECRET: &str = "oauth-test-state-secret";

fn services(slack: &FakeSlack, extra: &[(&str, &str)]) -> NativeServices {
    let mut vars: HashMap<String, String> = [
        (config::CLIENT_ID_VAR, "111.222"),
        (config::CLIENT_SECRET_VAR, "client-secret-xyz"),
        (config::STATE_SECRET_VAR, STATE_SECRET),
        (config::API_URL_VAR, &slack.api_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    NativeServices {
        vars,
        ..NativeServices::default()
    }
}

fn app(slack: &FakeSlack) -> OAuthApp {
    OAuthApp::from_services(&services(slack, &[]), "https://incidentd.test").unwrap()
}

fn key() -> TokenKey {
    TokenKey::from_base64(&Secret::new(BASE64.encode([3; 32]))).unwrap()
}

fn db_with_tenant() -> Rc<SqliteDatabase> {
    let db = database();
    db.apply(
        "INSERT INTO client (id, name, created_at) VALUES ('demo', 'Demo', 0), ('acme', 'Acme', 0)",
    )
    .unwrap();
    db
}

fn state_for(tenant: &str, now_ms: i64) -> String {
    oauth::issue_state(&Secret::new(STATE_SECRET), tenant, now_ms / 1_000, [1; 16])
}

fn callback(code: Option<&str>, state: Option<String>) -> CallbackQuery {
    CallbackQuery {
        code: code.map(str::to_owned),
        state,
        error: None,
    }
}

fn complete(
    db: &SqliteDatabase,
    slack: &FakeSlack,
    query: &CallbackQuery,
) -> Result<incidentd_wire::slack_install::Connected, CallbackError> {
    block_on(oauth::complete(
        db,
        &NativeHttp,
        &key(),
        &app(slack),
        query,
        NOW_MS,
    ))
}

fn installations(db: &SqliteDatabase) -> usize {
    block_on(db.query("SELECT * FROM integration", vec![]))
        .unwrap()
        .len()
}

#[test]
fn the_authorize_link_carries_the_client_the_scopes_the_redirect_and_a_state_for_the_tenant() {
    let slack = FakeSlack::start();
    let link = app(&slack).authorize_link("demo", NOW_MS / 1_000, [5; 16]);
    let (base, query) = link.split_once('?').unwrap();
    assert_eq!(base, config::DEFAULT_AUTHORIZE_URL);
    let fields: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(fields["client_id"], "111.222");
    assert_eq!(fields["scope"], BOT_SCOPES.join(","));
    assert_eq!(
        fields["redirect_uri"],
        format!("https://incidentd.test{CALLBACK_PATH}")
    );
    assert_eq!(
        oauth::verify_state(
            &Secret::new(STATE_SECRET),
            Some(&fields["state"]),
            NOW_MS / 1_000
        ),
        Ok("demo".to_owned())
    );

    let configured = OAuthApp::from_services(
        &services(
            &slack,
            &[
                (
                    config::REDIRECT_URL_VAR,
                    "https://public.example/slack/oauth/callback",
                ),
                (config::AUTHORIZE_URL_VAR, "https://slack.test/authorize"),
            ],
        ),
        "http://10.0.0.1:8787",
    )
    .unwrap();
    let link = configured.authorize_link("demo", 0, [5; 16]);
    assert!(
        link.starts_with("https://slack.test/authorize?client_id=111.222&"),
        "{link}"
    );
    assert!(link.contains("redirect_uri=https%3A%2F%2Fpublic.example%2Fslack%2Foauth%2Fcallback"));
}

#[test]
fn a_missing_variable_is_named() {
    let slack = FakeSlack::start();
    let mut without = services(&slack, &[]);
    without.vars.remove(config::STATE_SECRET_VAR);
    let error = OAuthApp::from_services(&without, "https://x")
        .err()
        .unwrap();
    assert_eq!(error.0, "SLACK_STATE_SECRET");
    assert!(error.to_string().contains("SLACK_STATE_SECRET"));
}

#[test]
fn a_good_code_stores_the_installation_with_its_token_encrypted() {
    let slack = FakeSlack::start();
    let db = db_with_tenant();
    let connected = complete(
        &db,
        &slack,
        &callback(Some(FAKE_OAUTH_CODE), Some(state_for("demo", NOW_MS))),
    )
    .unwrap();
    assert_eq!(
        (
            connected.tenant.as_str(),
            connected.team_id.as_str(),
            connected.bot_user_id.as_str()
        ),
        ("demo", FAKE_TEAM_ID, FAKE_BOT_USER_ID)
    );
    let stored = block_on(installation::by_team(db.as_ref(), FAKE_TEAM_ID))
        .unwrap()
        .expect("stored");
    assert_eq!(stored.tenant_id, "demo");
    assert_eq!(stored.token(&key()).unwrap().expose(), FAKE_BOT_TOKEN);
    assert!(stored.scopes.contains("chat:write"));
    assert!(
        stored.archive_on_close(),
        "archiving on close is the default"
    );
    assert_eq!(stored.announcement_channel(), None);
    let rows =
        serde_json::to_string(&block_on(db.query("SELECT * FROM integration", vec![])).unwrap())
            .unwrap();
    assert!(!rows.contains(FAKE_BOT_TOKEN), "never in the clear: {rows}");

    // The exchange as Slack wants it: client credentials as HTTP Basic, the same redirect_uri.
    let exchange = &slack.calls_to("oauth.v2.access")[0];
    let basic = BASE64.encode("111.222:client-secret-xyz");
    assert_eq!(
        exchange.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(exchange.arg("code"), FAKE_OAUTH_CODE);
    assert_eq!(
        exchange.arg("redirect_uri"),
        format!("https://incidentd.test{CALLBACK_PATH}")
    );
}

#[test]
fn a_reinstall_keeps_the_operators_settings_and_restores_a_disabled_installation() {
    let slack = FakeSlack::start();
    let db = db_with_tenant();
    let by_operator = NewInstallation {
        tenant_id: "demo".into(),
        team_id: FAKE_TEAM_ID.into(),
        enterprise_id: None,
        app_id: None,
        bot_user_id: FAKE_BOT_USER_ID.into(),
        scopes: String::new(),
        token: Secret::new("xoxb-older"),
        settings: SettingsPatch {
            archive_on_close: Some(false),
            announcement_channel: Some(Some("C0INCIDENTS".into())),
        },
    };
    block_on(installation::store(db.as_ref(), &key(), &by_operator, 0)).unwrap();
    // Slack says the app was uninstalled: the token is deleted, the settings stay.
    let disabled = block_on(installation::disable(
        db.as_ref(),
        FAKE_TEAM_ID,
        DisabledReason::AppUninstalled,
        NOW_MS / 1_000,
        NOW_MS,
    ))
    .unwrap()
    .expect("disabled");
    assert_eq!(
        disabled.disabled().map(|d| d.reason),
        Some(DisabledReason::AppUninstalled)
    );
    assert_eq!(
        block_on(installation::by_team(db.as_ref(), FAKE_TEAM_ID)).unwrap(),
        None
    );

    complete(
        &db,
        &slack,
        &callback(Some(FAKE_OAUTH_CODE), Some(state_for("demo", NOW_MS))),
    )
    .unwrap();
    let stored = block_on(installation::for_tenant(db.as_ref(), "demo"))
        .unwrap()
        .expect("active again");
    assert_eq!(stored.disabled(), None);
    assert_eq!(
        stored.token(&key()).unwrap().expose(),
        FAKE_BOT_TOKEN,
        "the new token"
    );
    assert!(
        !stored.archive_on_close(),
        "the opt-out survives the reinstall"
    );
    assert_eq!(
        stored.announcement_channel().as_deref(),
        Some("C0INCIDENTS")
    );
}

#[test]
fn refusals_write_nothing() {
    let slack = FakeSlack::start();
    let db = db_with_tenant();
    let good_state = || Some(state_for("demo", NOW_MS));
    let expired = Some(state_for("demo", NOW_MS - 601_000));
    let foreign = Some(oauth::issue_state(
        &Secret::new("not-ours"),
        "demo",
        NOW_MS / 1_000,
        [1; 16],
    ));
    let cases = [
        (
            callback(Some("stale-code"), good_state()),
            CallbackError::Refused("invalid_code".into()),
            400,
        ),
        (
            callback(Some(FAKE_OAUTH_CODE), expired),
            CallbackError::BadState(StateError::Expired),
            400,
        ),
        (
            callback(Some(FAKE_OAUTH_CODE), foreign),
            CallbackError::BadState(StateError::BadSignature),
            400,
        ),
        (
            callback(Some(FAKE_OAUTH_CODE), None),
            CallbackError::BadState(StateError::Missing),
            400,
        ),
        (
            callback(None, good_state()),
            CallbackError::MissingCode,
            400,
        ),
        (
            callback(Some(FAKE_OAUTH_CODE), Some(state_for("ghost", NOW_MS))),
            CallbackError::UnknownTenant,
            404,
        ),
        (
            CallbackQuery {
                error: Some("access_denied".into()),
                ..callback(None, good_state())
            },
            CallbackError::Declined("access_denied".into()),
            200,
        ),
    ];
    for (query, expected, status) in cases {
        let error = complete(&db, &slack, &query).unwrap_err();
        assert_eq!((&error, error.status()), (&expected, status), "{query:?}");
    }
    assert_eq!(installations(&db), 0);
    assert_eq!(
        slack.calls_to("oauth.v2.access").len(),
        1,
        "only the stale code reached Slack: states and tenants are checked first"
    );
}

#[test]
fn a_workspace_of_another_tenant_is_409_and_an_unreachable_slack_502() {
    let slack = FakeSlack::start();
    let db = db_with_tenant();
    complete(
        &db,
        &slack,
        &callback(Some(FAKE_OAUTH_CODE), Some(state_for("acme", NOW_MS))),
    )
    .unwrap();
    let taken = complete(
        &db,
        &slack,
        &callback(Some(FAKE_OAUTH_CODE), Some(state_for("demo", NOW_MS))),
    )
    .unwrap_err();
    assert_eq!((taken.status(), taken), (409, CallbackError::TeamTaken));
    assert!(block_on(installation::for_tenant(db.as_ref(), "demo"))
        .unwrap()
        .is_none());

    slack.fail_next("oauth.v2.access", 1, incidentd_testkit::Fault::ServerError);
    let down = complete(
        &db,
        &slack,
        &callback(Some(FAKE_OAUTH_CODE), Some(state_for("demo", NOW_MS))),
    )
    .unwrap_err();
    assert_eq!(down.status(), 502, "{down}");
    assert_eq!(installations(&db), 1, "acme's only");
}
