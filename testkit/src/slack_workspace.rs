//! A tenant connected to the fake Slack workspace, as the OAuth flow would leave it: shared by
//! the Slack sender and receiver tests and the fault campaign.

use crate::pipeline::{Pipeline, TENANT};
use crate::{FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_adapters::slack::config;
use incidentd_adapters::slack::installation::{self, NewInstallation, SettingsPatch};
use incidentd_adapters::slack::token_crypto::TokenKey;
use incidentd_wire::secret::Secret;
use sluice::outbox::OutboxPolicy;

/// The token key the tests configure (`SLACK_TOKEN_KEY`), base64.
pub fn key_b64() -> String {
    BASE64.encode([9; 32])
}

/// The token key itself.
pub fn key() -> TokenKey {
    TokenKey::from_base64(&Secret::new(key_b64())).expect("32 bytes")
}

/// A pipeline whose tenant has connected the fake workspace.
pub fn connected(slack: &FakeSlack) -> Pipeline {
    let key = key_b64();
    let url = slack.api_url();
    let vars = [
        (config::API_URL_VAR, url.as_str()),
        (config::TOKEN_KEY_VAR, key.as_str()),
    ];
    let pipeline = Pipeline::with_config(OutboxPolicy::default(), &vars);
    connect_as(&pipeline, FAKE_TEAM_ID);
    pipeline
}

/// Connects the workspace `team_id` (or an org-wide install's enterprise id) to the
/// pipeline's tenant, replacing its earlier one.
pub fn connect_as(pipeline: &Pipeline, team_id: &str) {
    connect_with(pipeline, team_id, SettingsPatch::default());
}

/// [`connect_as`] with these installation settings.
pub fn connect_with(pipeline: &Pipeline, team_id: &str, settings: SettingsPatch) {
    let workspace = NewInstallation {
        tenant_id: TENANT.into(),
        team_id: team_id.into(),
        enterprise_id: None,
        app_id: None,
        bot_user_id: FAKE_BOT_USER_ID.into(),
        scopes: String::new(),
        token: Secret::new(FAKE_BOT_TOKEN),
        settings,
    };
    pollster::block_on(installation::store(
        pipeline.db.as_ref(),
        &key(),
        &workspace,
        0,
    ))
    .expect("the installation is stored");
}
