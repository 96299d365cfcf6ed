//! The Slack installation routes' bodies and answers: the operator connecting a workspace
//! (`POST /admin/slack/installations`, a [`ConnectRequest`]), listing and showing
//! installations ([`InstallationSummary`]), changing one's settings
//! (`PATCH /admin/slack/installations/{tenant}`, a [`SettingsRequest`]), and the browser
//! install link ([`INSTALL_PATH`]). The server stores and reads installations
//! (`incidentd_adapters::slack`); `incidentctl admin slack` sends and shows these.

use crate::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize};

/// Where a browser starts the OAuth install (`?tenant=…`).
pub const INSTALL_PATH: &str = "/slack/install";
/// The operator's installations collection.
pub const INSTALLATIONS_PATH: &str = "/admin/slack/installations";

/// `/admin/slack/installations/{tenant}`: one installation.
pub fn installation_path(tenant: &str) -> String {
    format!("{INSTALLATIONS_PATH}/{tenant}")
}

/// Checks the shape Slack gives an id (`T…`, `U…`, `C…`: capitals and digits), so a swapped or
/// mistyped argument fails here rather than at Slack.
fn slack_id(name: &str, value: &str, first: &[char]) -> Result<(), String> {
    let ok = value.len() >= 2
        && value.len() <= 32
        && value.starts_with(first)
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    let first: Vec<String> = first.iter().map(char::to_string).collect();
    Err(format!(
        "{name} must be a Slack id: {}… in capitals and digits",
        first.join(" or ")
    ))
}

/// A channel id: public (`C…`) or private (`G…`).
fn check_channel(name: &str, channel: &str) -> Result<(), String> {
    slack_id(name, channel, &['C', 'G'])
}

/// A field that may be absent (keep), `null` (clear) or a value (set).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The body of `POST /admin/slack/installations`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ConnectRequest {
    /// The incidentd tenant the workspace serves.
    pub tenant: String,
    /// The Slack workspace (`T…`).
    pub team_id: String,
    #[serde(default)]
    /// The Enterprise Grid organization (`E…`), when there is one.
    pub enterprise_id: Option<String>,
    #[serde(default)]
    /// The Slack app's id (`A…`).
    pub app_id: Option<String>,
    /// The bot's user id in the workspace (`U…` or `W…`).
    pub bot_user_id: String,
    #[serde(default)]
    /// The scopes granted, as Slack lists them.
    pub scopes: String,
    /// The bot token (`xoxb-…`): stored encrypted, never shown again.
    pub bot_token: Secret,
    /// Archive each incident's channel once the incident closes; absent (or `null`) keeps the
    /// stored setting, which is on for a new installation.
    #[serde(default)]
    pub archive_on_close: Option<bool>,
    /// The channel (`C…`) high-severity incidents are announced in; absent keeps the stored one.
    #[serde(default)]
    pub announcement_channel: Option<String>,
}

impl ConnectRequest {
    /// The JSON body a client sends: the one place the token is written out on purpose.
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::json!({
            "tenant": self.tenant, "team_id": self.team_id, "enterprise_id": self.enterprise_id,
            "app_id": self.app_id, "bot_user_id": self.bot_user_id, "scopes": self.scopes,
            "bot_token": self.bot_token.expose(), "archive_on_close": self.archive_on_close,
            "announcement_channel": self.announcement_channel,
        })
        .to_string()
        .into_bytes()
    }

    /// Checks the shapes Slack gives ids and tokens, so a swapped argument fails here.
    pub fn validate(&self) -> Result<(), String> {
        if self.tenant.trim().is_empty() {
            return Err("tenant is required".into());
        }
        slack_id("team_id", &self.team_id, &['T'])?;
        slack_id("bot_user_id", &self.bot_user_id, &['U', 'W'])?;
        if let Some(enterprise) = &self.enterprise_id {
            slack_id("enterprise_id", enterprise, &['E'])?;
        }
        if let Some(channel) = &self.announcement_channel {
            check_channel("announcement_channel", channel)?;
        }
        if !self.bot_token.expose().starts_with("xoxb-") {
            return Err("bot_token must be a bot token (xoxb-…)".into());
        }
        Ok(())
    }
}

/// The body of `PATCH /admin/slack/installations/{tenant}`: each field left out keeps its
/// value; `"announcement_channel": null` removes the channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Archive each incident's channel once it closes; left out keeps the setting.
    pub archive_on_close: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    /// The channel (`C…` or `G…`) high-severity incidents are announced in; `null` removes it,
    /// left out keeps it.
    pub announcement_channel: Option<Option<String>>,
}

impl SettingsRequest {
    /// The error names the field first, as the admin API's refusals do.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(Some(channel)) = &self.announcement_channel {
            check_channel("announcement_channel", channel)?;
        }
        Ok(())
    }
}

/// Whether Slack still takes the installation's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallationState {
    /// Slack takes its calls.
    Active,
    /// Slack said the app was uninstalled or its bot token revoked; a reinstall restores it.
    Disabled,
}

/// An installation as the operator sees it: never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationSummary {
    /// The incidentd tenant the workspace serves.
    pub tenant: String,
    /// The Slack workspace (`T…`).
    pub team_id: String,
    /// The Enterprise Grid organization (`E…`), when there is one.
    pub enterprise_id: Option<String>,
    /// The Slack app's id (`A…`).
    pub app_id: Option<String>,
    /// The bot's user id in the workspace.
    pub bot_user_id: String,
    /// The scopes granted.
    pub scopes: String,
    /// Unix ms of the last install.
    pub installed_at: Option<i64>,
    /// Whether Slack still takes its calls.
    pub state: InstallationState,
    /// `app_uninstalled` or `tokens_revoked` (what Slack sent), when disabled.
    pub disabled_reason: Option<String>,
    /// Unix ms, when disabled.
    pub disabled_at: Option<i64>,
    /// What to do about it, when disabled (the text failed Slack effects carry too).
    pub disabled_message: Option<String>,
    /// Whether each incident's channel is archived once the incident closes.
    pub archive_on_close: bool,
    /// The channel high-severity incidents are announced in, when one is set.
    pub announcement_channel: Option<String>,
}

/// What the route answers: the connection, never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connected {
    /// The incidentd tenant now connected.
    pub tenant: String,
    /// The Slack workspace.
    pub team_id: String,
    /// The bot's user id in the workspace.
    pub bot_user_id: String,
}
