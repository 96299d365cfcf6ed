//! The operator's path to connect a workspace without a browser:
//! `POST /admin/slack/installations` with `Authorization: Bearer <ADMIN_TOKEN>` and a
//! [`ConnectRequest`]. Parsing and the bearer check live here; the route is in the worker.

use super::installation::NewInstallation;
use super::payload::{self, PayloadError};
use super::secret::Secret;
use serde::{Deserialize, Serialize};

pub const INSTALLATIONS_PATH: &str = "/admin/slack/installations";

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
    /// Archive each incident's channel once the incident closes. Connecting replaces the
    /// connection, so leaving it out turns it off.
    #[serde(default)]
    pub archive_on_close: bool,
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
        })
        .to_string()
        .into_bytes()
    }

    /// Checks the shapes Slack gives ids and tokens, so a swapped argument fails here.
    pub fn validate(&self) -> Result<(), String> {
        let id = |name: &str, value: &str, first: &[char]| {
            let ok = value.len() >= 2
                && value.len() <= 32
                && value.starts_with(first)
                && value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            match ok {
                true => Ok(()),
                false => {
                    let first: Vec<String> = first.iter().map(char::to_string).collect();
                    Err(format!(
                        "{name} must be a Slack id: {}… in capitals and digits",
                        first.join(" or ")
                    ))
                }
            }
        };
        if self.tenant.trim().is_empty() {
            return Err("tenant is required".into());
        }
        id("team_id", &self.team_id, &['T'])?;
        id("bot_user_id", &self.bot_user_id, &['U', 'W'])?;
        if let Some(enterprise) = &self.enterprise_id {
            id("enterprise_id", enterprise, &['E'])?;
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
            archive_on_close: Some(self.archive_on_close),
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
        assert!(!request.archive_on_close, "off unless asked for");
        let archiving = ConnectRequest {
            archive_on_close: true,
            ..request
        };
        assert_eq!(
            ConnectRequest::parse(&archiving.to_body()).unwrap(),
            archiving
        );
        assert_eq!(archiving.into_installation().archive_on_close, Some(true));
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
