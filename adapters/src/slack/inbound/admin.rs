//! The operator's Slack routes (`Authorization: Bearer <ADMIN_TOKEN>`): connect a workspace
//! without a browser (`POST /admin/slack/installations`, a [`ConnectRequest`]), list the
//! installations and their state (`GET /admin/slack/installations`, one with
//! `GET /admin/slack/installations/{tenant}`), and change an installation's settings
//! (`PATCH /admin/slack/installations/{tenant}`, a [`SettingsRequest`]). The bodies and
//! answers are the wire crate's (`incidentd_wire::slack_install`); reading them and turning
//! them into stored installations live here; the routes are in the worker.

use crate::slack::inbound::payload::{self, PayloadError};
use crate::slack::installation::{Installation, NewInstallation, Settings, SettingsPatch};

use incidentd_wire::slack_install::{
    ConnectRequest, InstallationState, InstallationSummary, SettingsRequest,
};

/// Reads the body of `POST /admin/slack/installations` (its shape only: see
/// [`ConnectRequest::validate`]).
pub fn parse_connect(body: &[u8]) -> Result<ConnectRequest, PayloadError> {
    payload::json(body)
}

/// The installation a connect request stores.
impl From<ConnectRequest> for NewInstallation {
    fn from(request: ConnectRequest) -> Self {
        NewInstallation {
            tenant_id: request.tenant,
            team_id: request.team_id,
            enterprise_id: request.enterprise_id,
            app_id: request.app_id,
            bot_user_id: request.bot_user_id,
            scopes: request.scopes,
            token: request.bot_token,
            settings: SettingsPatch {
                archive_on_close: request.archive_on_close,
                announcement_channel: request.announcement_channel.map(Some),
            },
        }
    }
}

/// The change a settings request makes.
impl From<&SettingsRequest> for SettingsPatch {
    fn from(request: &SettingsRequest) -> Self {
        SettingsPatch {
            archive_on_close: request.archive_on_close,
            announcement_channel: request.announcement_channel.clone(),
        }
    }
}

/// An installation as the operator sees it: never the token.
pub fn installation_summary(installation: &Installation) -> InstallationSummary {
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

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_wire::secret::Secret;

    fn request() -> ConnectRequest {
        parse_connect(
            br#"{"tenant":"demo","team_id":"T123","bot_user_id":"U456","bot_token":"xoxb-1-2"}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_connect_request_round_trips_and_never_shows_its_token() {
        let request = request();
        assert_eq!(request.validate(), Ok(()));
        assert_eq!(parse_connect(&request.to_body()).unwrap(), request);
        assert!(!format!("{request:?}").contains("xoxb"));
        assert_eq!(
            NewInstallation::from(request.clone()).settings,
            SettingsPatch::default(),
            "left out, the stored settings stay"
        );
        let opting_out = ConnectRequest {
            archive_on_close: Some(false),
            announcement_channel: Some("C0INCIDENTS".into()),
            ..request
        };
        assert_eq!(parse_connect(&opting_out.to_body()).unwrap(), opting_out);
        assert_eq!(
            NewInstallation::from(opting_out).settings,
            SettingsPatch {
                archive_on_close: Some(false),
                announcement_channel: Some(Some("C0INCIDENTS".into())),
            }
        );
    }

    #[test]
    fn a_settings_request_tells_a_missing_field_from_a_cleared_one() {
        let parse = |body: &str| serde_json::from_str::<SettingsRequest>(body);
        assert_eq!(
            SettingsPatch::from(&parse("{}").unwrap()),
            SettingsPatch::default()
        );
        let cleared = parse(r#"{"announcement_channel":null}"#).unwrap();
        assert_eq!(
            SettingsPatch::from(&cleared).announcement_channel,
            Some(None)
        );
        assert_eq!(
            parse(&serde_json::to_string(&cleared).unwrap()).unwrap(),
            cleared
        );
        let set = parse(r#"{"archive_on_close":false,"announcement_channel":"C0INC"}"#).unwrap();
        assert_eq!(set.validate(), Ok(()));
        assert_eq!(
            SettingsPatch::from(&set),
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
