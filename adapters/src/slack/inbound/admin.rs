//! The operator's Slack routes (`Authorization: Bearer <ADMIN_TOKEN>`): connect a workspace
//! without a browser (`POST /admin/slack/installations`, a [`ConnectRequest`]), list the
//! installations and their state (`GET /admin/slack/installations`, one with
//! `GET /admin/slack/installations/{tenant}`), and change an installation's settings
//! (`PATCH /admin/slack/installations/{tenant}`, a [`SettingsRequest`]). Bodies, their
//! validation and the answers' shapes live here; the routes are in the worker.

use crate::slack::inbound::payload::{self, PayloadError};
use crate::slack::installation::{Installation, NewInstallation, Settings, SettingsPatch};
use crate::slack::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize};

pub const INSTALLATIONS_PATH: &str = "/admin/slack/installations";

/// `/admin/slack/installations/{tenant}`.
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
    pub tenant: String,
    pub team_id: String,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    pub bot_user_id: String,
    #[serde(default)]
    pub scopes: String,
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
    pub fn parse(body: &[u8]) -> Result<ConnectRequest, PayloadError> {
        payload::json(body)
    }

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

    pub fn into_installation(self) -> NewInstallation {
        NewInstallation {
            tenant_id: self.tenant,
            team_id: self.team_id,
            enterprise_id: self.enterprise_id,
            app_id: self.app_id,
            bot_user_id: self.bot_user_id,
            scopes: self.scopes,
            token: self.bot_token,
            settings: SettingsPatch {
                archive_on_close: self.archive_on_close,
                announcement_channel: self.announcement_channel.map(Some),
            },
        }
    }
}

/// The body of `PATCH /admin/slack/installations/{tenant}`: each field left out keeps its
/// value; `"announcement_channel": null` removes the channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_on_close: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
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

    pub fn patch(&self) -> SettingsPatch {
        SettingsPatch {
            archive_on_close: self.archive_on_close,
            announcement_channel: self.announcement_channel.clone(),
        }
    }
}

/// Whether Slack still takes the installation's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallationState {
    Active,
    /// Slack said the app was uninstalled or its bot token revoked; a reinstall restores it.
    Disabled,
}

/// An installation as the operator sees it: never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationSummary {
    pub tenant: String,
    pub team_id: String,
    pub enterprise_id: Option<String>,
    pub app_id: Option<String>,
    pub bot_user_id: String,
    pub scopes: String,
    /// Unix ms of the last install.
    pub installed_at: Option<i64>,
    pub state: InstallationState,
    /// `app_uninstalled` or `tokens_revoked` (what Slack sent), when disabled.
    pub disabled_reason: Option<String>,
    /// Unix ms, when disabled.
    pub disabled_at: Option<i64>,
    /// What to do about it, when disabled (the text failed Slack effects carry too).
    pub disabled_message: Option<String>,
    pub archive_on_close: bool,
    pub announcement_channel: Option<String>,
}

impl InstallationSummary {
    pub fn of(installation: &Installation) -> Self {
        let disabled = installation.disabled();
        let Settings {
            archive_on_close,
            announcement_channel,
        } = installation.settings();
        InstallationSummary {
            tenant: installation.tenant_id.clone(),
            team_id: installation.team_id.clone(),
            enterprise_id: installation.enterprise_id.clone(),
            app_id: installation.app_id.clone(),
            bot_user_id: installation.bot_user_id.clone(),
            scopes: installation.scopes.clone(),
            installed_at: installation.installed_at,
            state: match disabled {
                Some(_) => InstallationState::Disabled,
                None => InstallationState::Active,
            },
            disabled_reason: disabled.as_ref().map(|d| d.reason.as_str().to_owned()),
            disabled_at: disabled.as_ref().and_then(|d| d.at_ms),
            disabled_message: disabled.as_ref().map(ToString::to_string),
            archive_on_close,
            announcement_channel,
        }
    }
}

/// What the route answers: the connection, never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connected {
    pub tenant: String,
    pub team_id: String,
    pub bot_user_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ConnectRequest {
        ConnectRequest::parse(
            br#"{"tenant":"demo","team_id":"T123","bot_user_id":"U456","bot_token":"xoxb-1-2"}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_connect_request_round_trips_and_never_shows_its_token() {
        let request = request();
        assert_eq!(request.validate(), Ok(()));
        assert_eq!(ConnectRequest::parse(&request.to_body()).unwrap(), request);
        assert!(!format!("{request:?}").contains("xoxb"));
        assert_eq!(
            request.clone().into_installation().settings,
            SettingsPatch::default(),
            "left out, the stored settings stay"
        );
        let opting_out = ConnectRequest {
            archive_on_close: Some(false),
            announcement_channel: Some("C0INCIDENTS".into()),
            ..request
        };
        assert_eq!(
            ConnectRequest::parse(&opting_out.to_body()).unwrap(),
            opting_out
        );
        assert_eq!(
            opting_out.into_installation().settings,
            SettingsPatch {
                archive_on_close: Some(false),
                announcement_channel: Some(Some("C0INCIDENTS".into())),
            }
        );
    }

    #[test]
    fn a_settings_request_tells_a_missing_field_from_a_cleared_one() {
        let parse = |body: &str| serde_json::from_str::<SettingsRequest>(body);
        assert_eq!(parse("{}").unwrap().patch(), SettingsPatch::default());
        let cleared = parse(r#"{"announcement_channel":null}"#).unwrap();
        assert_eq!(cleared.patch().announcement_channel, Some(None));
        assert_eq!(
            parse(&serde_json::to_string(&cleared).unwrap()).unwrap(),
            cleared
        );
        let set = parse(r#"{"archive_on_close":false,"announcement_channel":"C0INC"}"#).unwrap();
        assert_eq!(set.validate(), Ok(()));
        assert_eq!(
            set.patch(),
            SettingsPatch {
                archive_on_close: Some(false),
                announcement_channel: Some(Some("C0INC".into())),
            }
        );
        assert!(
            parse(r#"{"archive":true}"#).is_err(),
            "unknown fields are refused"
        );
        let named = parse(r##"{"announcement_channel":"#incidents"}"##).unwrap();
        assert_eq!(
            named.validate().unwrap_err(),
            "announcement_channel must be a Slack id: C or G… in capitals and digits"
        );
    }

    #[test]
    fn swapped_or_malformed_ids_and_tokens_are_refused() {
        let mut swapped = request();
        std::mem::swap(&mut swapped.team_id, &mut swapped.bot_user_id);
        assert_eq!(
            swapped.validate().unwrap_err(),
            "team_id must be a Slack id: T… in capitals and digits"
        );
        let mut user_token = request();
        user_token.bot_token = Secret::new("xoxp-1");
        assert!(user_token.validate().unwrap_err().contains("xoxb"));
        let mut no_tenant = request();
        no_tenant.tenant = " ".into();
        assert!(no_tenant.validate().is_err());
    }
}
