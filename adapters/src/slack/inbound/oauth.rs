//! The OAuth v2 install: `GET /slack/install?tenant=<id>` (operator only) redirects to Slack's
//! authorize page with a signed, expiring `state` naming the tenant; `GET
//! /slack/oauth/callback?code&state` checks the state, exchanges the code with
//! `oauth.v2.access` and stores the installation as the operator route does
//! (`ConnectRequest::validate`, `installation::store`). The worker's routes are HTTP glue over
//! this module.
//!
//! The state is `v1.<base64url tenant>.<expiry secs>.<hex nonce>.<hex HMAC-SHA256>`, signed with
//! `SLACK_STATE_SECRET`. It is not bound to a browser session: the operator hands the link to
//! whoever installs the app, and within its 10 minutes it installs into that tenant only.

use crate::http::escape::escape;
use crate::slack::config::{self, non_empty};
use crate::slack::installation::{self, NewInstallation, SettingsPatch, StoreError};
use crate::slack::outbound::api::{log_warnings, CALL_TIMEOUT};
use crate::slack::outbound::contract::{form_body, FORM_CONTENT_TYPE};
use crate::slack::token_crypto::TokenKey;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64_URL};
use base64::Engine;
use hmac::{Hmac, Mac};
use incidentd_wire::secret::Secret;
use incidentd_wire::slack_install::{ConnectRequest, Connected};
use serde::Deserialize;
use sha2::Sha256;
use sluice::http::{HttpClient, HttpRequest};
use sluice::sql::Database;
use sluice::workflow::Services;
use std::fmt;

pub const CALLBACK_PATH: &str = "/slack/oauth/callback";
/// How long an install link (its `state`) is good for; Slack's codes last as long.
pub const STATE_LIFETIME_SECS: i64 = 600;
/// The bot scopes asked for: those of docs/slack.md and docs/slack-app-manifest.json, each
/// needed by a Web API method incidentd calls or by an event or command it handles (checked
/// against the contract table below).
pub const BOT_SCOPES: [&str; 11] = [
    "app_mentions:read",
    "channels:history",
    "channels:manage",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "groups:history",
    "metadata.message:read",
    "pins:write",
    "reactions:write",
];

const STATE_VERSION: &str = "v1";
/// Keeps these MACs apart from anything else a reused key might sign.
const STATE_DOMAIN: &str = "incidentd slack install state";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// The Slack app's OAuth settings, from Worker vars and secrets.
pub struct OAuthApp {
    pub client_id: String,
    client_secret: Secret,
    state_secret: Secret,
    pub authorize_url: String,
    pub api_url: String,
    pub redirect_url: String,
}

/// A variable the install needs is not set (the routes answer 503 naming it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotConfigured(pub &'static str);

impl fmt::Display for NotConfigured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the Slack install is not configured: {} is not set",
            self.0
        )
    }
}

impl OAuthApp {
    /// `origin` (`https://host`) derives the Redirect URL when `SLACK_REDIRECT_URL` is unset.
    pub fn from_services(services: &dyn Services, origin: &str) -> Result<OAuthApp, NotConfigured> {
        let required = |name: &'static str| non_empty(services, name).ok_or(NotConfigured(name));
        Ok(OAuthApp {
            client_id: required(config::CLIENT_ID_VAR)?,
            client_secret: Secret::new(required(config::CLIENT_SECRET_VAR)?),
            state_secret: Secret::new(required(config::STATE_SECRET_VAR)?),
            authorize_url: non_empty(services, config::AUTHORIZE_URL_VAR)
                .unwrap_or_else(|| config::DEFAULT_AUTHORIZE_URL.to_owned()),
            api_url: config::api_url(services),
            redirect_url: non_empty(services, config::REDIRECT_URL_VAR)
                .unwrap_or_else(|| format!("{}{CALLBACK_PATH}", origin.trim_end_matches('/'))),
        })
    }

    /// Where `/slack/install` sends the browser: Slack's authorize page for `tenant`.
    pub fn authorize_link(&self, tenant: &str, now_secs: i64, nonce: [u8; 16]) -> String {
        let state = issue_state(&self.state_secret, tenant, now_secs, nonce);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &BOT_SCOPES.join(","))
            .append_pair("redirect_uri", &self.redirect_url)
            .append_pair("state", &state)
            .finish();
        let separator = if self.authorize_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{query}", self.authorize_url)
    }
}

// ---------------------------------------------------------------------------------------------
// The signed state
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateError {
    Missing,
    /// Not five dot-separated parts of the expected shapes.
    Malformed,
    /// Signed with another secret, or altered.
    BadSignature,
    Expired,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::Missing => "the install link carries no state",
            StateError::Malformed => "the install link's state is malformed",
            StateError::BadSignature => "the install link's state is not ours",
            StateError::Expired => "the install link has expired",
        })
    }
}

fn state_mac(secret: &Secret, tenant_b64: &str, expires: &str, nonce: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    let signed = format!("{STATE_DOMAIN}\n{STATE_VERSION}\n{tenant_b64}\n{expires}\n{nonce}");
    mac.update(signed.as_bytes());
    mac
}

/// A fresh random nonce for a state; `None` when the platform has no randomness.
pub fn random_nonce() -> Option<[u8; 16]> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).ok()?;
    Some(nonce)
}

/// A state for `tenant`, good for [`STATE_LIFETIME_SECS`] from `now_secs`.
pub fn issue_state(secret: &Secret, tenant: &str, now_secs: i64, nonce: [u8; 16]) -> String {
    let tenant_b64 = BASE64_URL.encode(tenant);
    let expires = (now_secs + STATE_LIFETIME_SECS).to_string();
    let nonce = hex::encode(nonce);
    let mac = state_mac(secret, &tenant_b64, &expires, &nonce);
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("{STATE_VERSION}.{tenant_b64}.{expires}.{nonce}.{signature}")
}

/// The tenant a state was issued for, when it is ours and not expired. The signature is
/// checked in constant time before anything it covers is believed.
pub fn verify_state(
    secret: &Secret,
    state: Option<&str>,
    now_secs: i64,
) -> Result<String, StateError> {
    let state = state.filter(|s| !s.is_empty()).ok_or(StateError::Missing)?;
    let parts: Vec<&str> = state.split('.').collect();
    let [STATE_VERSION, tenant_b64, expires, nonce, signature] = parts.as_slice() else {
        return Err(StateError::Malformed);
    };
    let signature = hex::decode(signature).map_err(|_| StateError::Malformed)?;
    state_mac(secret, tenant_b64, expires, nonce)
        .verify_slice(&signature)
        .map_err(|_| StateError::BadSignature)?;
    let expires: i64 = expires.parse().map_err(|_| StateError::Malformed)?;
    if now_secs > expires {
        return Err(StateError::Expired);
    }
    BASE64_URL
        .decode(tenant_b64)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|tenant| !tenant.is_empty())
        .ok_or(StateError::Malformed)
}

// ---------------------------------------------------------------------------------------------
// The callback
// ---------------------------------------------------------------------------------------------

/// The callback's query string, as Slack sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// `access_denied` when the person cancelled.
    pub error: Option<String>,
}

impl CallbackQuery {
    pub fn parse(query: &str) -> CallbackQuery {
        let fields = crate::slack::inbound::payload::form_fields(query.as_bytes());
        let get = |name: &str| fields.get(name).filter(|v| !v.is_empty()).cloned();
        CallbackQuery {
            code: get("code"),
            state: get("state"),
            error: get("error"),
        }
    }
}

/// Why a callback connected nothing. Nothing is written in any of these cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackError {
    /// Slack sent `error=<code>` instead of a code (`access_denied`: the person cancelled).
    Declined(String),
    BadState(StateError),
    MissingCode,
    UnknownTenant,
    /// `oauth.v2.access` answered `{"ok":false}` (`invalid_code`, `bad_redirect_uri`, …).
    Refused(String),
    /// No usable answer from Slack (transport, timeout, non-2xx, not JSON).
    Unreachable(String),
    /// Slack's answer does not make an installation (an org-wide install, a user token).
    Unusable(String),
    /// The workspace is connected to another tenant.
    TeamTaken,
    Storage(String),
}

impl CallbackError {
    pub fn status(&self) -> u16 {
        match self {
            CallbackError::Declined(_) => 200,
            CallbackError::BadState(_) | CallbackError::MissingCode | CallbackError::Refused(_) => {
                400
            }
            CallbackError::UnknownTenant => 404,
            CallbackError::TeamTaken => 409,
            CallbackError::Unreachable(_) | CallbackError::Unusable(_) => 502,
            CallbackError::Storage(_) => 500,
        }
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::Declined(code) if code == "access_denied" => {
                f.write_str("the installation was cancelled in Slack")
            }
            CallbackError::Declined(code) => write!(f, "Slack did not authorise the app ({code})"),
            CallbackError::BadState(e) => write!(f, "{e}; ask the operator for a new one"),
            CallbackError::MissingCode => f.write_str("Slack sent no authorisation code"),
            CallbackError::UnknownTenant => f.write_str("the install link names no known tenant"),
            CallbackError::Refused(code) => write!(f, "Slack refused the exchange ({code})"),
            CallbackError::Unreachable(e) => write!(f, "Slack could not be reached: {e}"),
            CallbackError::Unusable(e) => write!(f, "Slack's answer cannot be used: {e}"),
            CallbackError::TeamTaken => {
                f.write_str("this workspace is connected to another tenant")
            }
            CallbackError::Storage(e) => write!(f, "storing the installation failed: {e}"),
        }
    }
}

/// The parts of `oauth.v2.access`'s answer an installation needs. The token parses straight
/// into a [`Secret`].
#[derive(Deserialize)]
struct AccessAnswer {
    access_token: Secret,
    #[serde(default)]
    scope: String,
    bot_user_id: String,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    team: Option<IdOnly>,
    #[serde(default)]
    enterprise: Option<IdOnly>,
    #[serde(default)]
    is_enterprise_install: bool,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// `oauth.v2.access`: a form `POST` (its contract takes no JSON) with the client credentials
/// as HTTP Basic (Slack's preference), the code and the same `redirect_uri` the authorize link
/// carried.
async fn exchange(
    http: &dyn HttpClient,
    app: &OAuthApp,
    code: &str,
) -> Result<AccessAnswer, CallbackError> {
    let body = form_body(&serde_json::json!({ "code": code, "redirect_uri": app.redirect_url }));
    let basic = BASE64.encode(format!("{}:{}", app.client_id, app.client_secret.expose()));
    let request = HttpRequest {
        method: "POST".into(),
        url: format!("{}/oauth.v2.access", app.api_url),
        headers: vec![
            ("content-type".into(), FORM_CONTENT_TYPE.into()),
            ("authorization".into(), format!("Basic {basic}")),
        ],
        body,
        timeout: CALL_TIMEOUT,
    };
    let response = http
        .send(request)
        .await
        .map_err(|e| CallbackError::Unreachable(e.0))?;
    if !(200..300).contains(&response.status) {
        return Err(CallbackError::Unreachable(format!(
            "oauth.v2.access: HTTP {}",
            response.status
        )));
    }
    let answer: serde_json::Value = serde_json::from_slice(&response.body).map_err(|_| {
        CallbackError::Unreachable("oauth.v2.access: the answer is not JSON".into())
    })?;
    log_warnings("oauth.v2.access", &answer);
    if answer["ok"] != true {
        let code = answer["error"].as_str().unwrap_or("unknown");
        return Err(CallbackError::Refused(code.to_owned()));
    }
    sluice::json::from_value(&answer).map_err(|e| CallbackError::Unusable(e.to_string()))
}

/// The installation Slack's answer describes, checked as the operator route checks its body.
fn connect_request(tenant: String, answer: AccessAnswer) -> Result<ConnectRequest, CallbackError> {
    if answer.is_enterprise_install {
        return Err(CallbackError::Unusable(
            "org-wide installs are not supported: install the app into a workspace".into(),
        ));
    }
    let team = answer
        .team
        .ok_or_else(|| CallbackError::Unusable("no team in the answer".into()))?;
    let request = ConnectRequest {
        tenant,
        team_id: team.id,
        enterprise_id: answer.enterprise.map(|e| e.id),
        app_id: answer.app_id,
        bot_user_id: answer.bot_user_id,
        scopes: answer.scope,
        bot_token: answer.access_token,
        archive_on_close: None,
        announcement_channel: None,
    };
    request.validate().map_err(CallbackError::Unusable)?;
    Ok(request)
}

/// Completes an install: state, tenant, exchange, store. Writes only once everything checked.
pub async fn complete(
    db: &dyn Database,
    http: &dyn HttpClient,
    key: &TokenKey,
    app: &OAuthApp,
    query: &CallbackQuery,
    now_ms: i64,
) -> Result<Connected, CallbackError> {
    if let Some(error) = &query.error {
        return Err(CallbackError::Declined(error.clone()));
    }
    let tenant = verify_state(&app.state_secret, query.state.as_deref(), now_ms / 1_000)
        .map_err(CallbackError::BadState)?;
    let code = query.code.as_deref().ok_or(CallbackError::MissingCode)?;
    // Before the exchange: a code is single-use, so do not spend it on a tenant that is gone.
    if !installation::tenant_exists(db, &tenant)
        .await
        .map_err(|e| CallbackError::Storage(e.message))?
    {
        return Err(CallbackError::UnknownTenant);
    }
    let request = connect_request(tenant, exchange(http, app, code).await?)?;
    let new = NewInstallation {
        // A reinstall (new scopes, say, or after Slack disabled it) keeps the operator's
        // settings.
        settings: SettingsPatch::default(),
        ..NewInstallation::from(request)
    };
    installation::store(db, key, &new, now_ms)
        .await
        .map_err(|e| match e {
            StoreError::TeamTaken => CallbackError::TeamTaken,
            other => CallbackError::Storage(other.to_string()),
        })?;
    Ok(Connected {
        tenant: new.tenant_id,
        team_id: new.team_id,
        bot_user_id: new.bot_user_id,
    })
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// A small standalone HTML page for the person in the browser.
pub fn page(title: &str, message: &str) -> String {
    let (title, message) = (escape(title), escape(message));
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\n\
         <body style=\"font-family: system-ui, sans-serif; max-width: 36em; margin: 4em auto\">\
         <h1>{title}</h1><p>{message}</p></body></html>\n"
    )
}

/// The page after a successful install.
pub fn connected_page(connected: &Connected) -> String {
    page(
        "Slack connected",
        &format!(
            "The Slack workspace {} is connected to incidentd (tenant {}). You can close this \
             window, invite the bot to a channel and mention it to declare an incident.",
            connected.team_id, connected.tenant
        ),
    )
}

/// The page when nothing was connected.
pub fn failed_page(error: &CallbackError) -> String {
    page(
        "Slack not connected",
        &format!("Nothing was connected: {error}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;
    const NONCE: [u8; 16] = [7; 16];

    fn secret() -> Secret {
        Secret::new("state-secret-1")
    }

    #[test]
    fn a_state_verifies_to_its_tenant_until_it_expires() {
        let state = issue_state(&secret(), "acme.eu", NOW, NONCE);
        assert_eq!(
            verify_state(&secret(), Some(&state), NOW),
            Ok("acme.eu".to_owned())
        );
        let last = NOW + STATE_LIFETIME_SECS;
        assert_eq!(
            verify_state(&secret(), Some(&state), last),
            Ok("acme.eu".to_owned())
        );
        assert_eq!(
            verify_state(&secret(), Some(&state), last + 1),
            Err(StateError::Expired)
        );
        assert_ne!(
            state,
            issue_state(&secret(), "acme.eu", NOW, [8; 16]),
            "the nonce makes each link distinct"
        );
    }

    #[test]
    fn a_tampered_or_foreign_state_is_refused() {
        let state = issue_state(&secret(), "demo", NOW, NONCE);
        let parts: Vec<&str> = state.split('.').collect();
        let with = |index: usize, value: &str| {
            let mut changed = parts.clone();
            changed[index] = value;
            changed.join(".")
        };
        let other_tenant = BASE64_URL.encode("acme");
        let later = (NOW + 10 * STATE_LIFETIME_SECS).to_string();
        for tampered in [with(1, &other_tenant), with(2, &later), with(3, "00ff")] {
            assert_eq!(
                verify_state(&secret(), Some(&tampered), NOW),
                Err(StateError::BadSignature),
                "{tampered}"
            );
        }
        let flipped = with(4, &"0".repeat(64));
        assert_eq!(
            verify_state(&secret(), Some(&flipped), NOW),
            Err(StateError::BadSignature)
        );
        assert_eq!(
            verify_state(&Secret::new("another-secret"), Some(&state), NOW),
            Err(StateError::BadSignature)
        );
    }

    #[test]
    fn missing_or_malformed_states_are_refused() {
        assert_eq!(verify_state(&secret(), None, NOW), Err(StateError::Missing));
        assert_eq!(
            verify_state(&secret(), Some(""), NOW),
            Err(StateError::Missing)
        );
        let state = issue_state(&secret(), "demo", NOW, NONCE);
        let parts: Vec<&str> = state.split('.').collect();
        for malformed in [
            parts[..4].join("."),
            format!("{state}.extra"),
            state.replacen("v1.", "v2.", 1),
            format!("{}.not-hex", parts[..4].join(".")),
            "nonsense".to_owned(),
        ] {
            assert_eq!(
                verify_state(&secret(), Some(&malformed), NOW),
                Err(StateError::Malformed),
                "{malformed}"
            );
        }
    }

    #[test]
    fn callback_queries_parse_and_pages_escape_what_they_show() {
        assert_eq!(
            CallbackQuery::parse("code=c-1&state=v1.x&extra=1"),
            CallbackQuery {
                code: Some("c-1".into()),
                state: Some("v1.x".into()),
                error: None
            }
        );
        let denied = CallbackQuery::parse("error=access_denied&state=");
        assert_eq!(
            (denied.error.as_deref(), denied.state),
            (Some("access_denied"), None)
        );
        let page = failed_page(&CallbackError::Declined("<script>".into()));
        assert!(
            page.contains("&lt;script&gt;") && !page.contains("<script>"),
            "{page}"
        );
        assert!(
            failed_page(&CallbackError::Declined("access_denied".into())).contains("cancelled")
        );
        let quoted = super::page("it's", "<a title='x'>");
        assert!(
            quoted.contains("it&#39;s") && quoted.contains("&lt;a title=&#39;x&#39;&gt;"),
            "{quoted}"
        );
    }

    #[test]
    fn the_scopes_asked_for_are_the_manifests() {
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../../../../docs/slack-app-manifest.json")).unwrap();
        let listed: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        assert_eq!(listed, BOT_SCOPES);
    }

    /// Scopes no Web API method asks for, and what needs them.
    const NOT_FOR_A_METHOD: [(&str, &str); 4] = [
        ("app_mentions:read", "the app_mention event"),
        ("commands", "the /incident command"),
        (
            "metadata.message:read",
            "message metadata in conversations.history and .replies",
        ),
        (
            "chat:write.public",
            "posting in public channels the bot has not joined",
        ),
    ];

    #[test]
    fn every_scope_asked_for_is_needed_and_every_method_called_is_covered() {
        // The table holds the methods incidentd calls (the client refuses any other).
        use crate::slack::outbound::contract::SLACK_METHODS;
        let with_token = || SLACK_METHODS.iter().filter(|m| m.token);
        for scope in BOT_SCOPES {
            let for_a_method = with_token().any(|m| m.bot_scopes.contains(&scope));
            let otherwise = NOT_FOR_A_METHOD.iter().any(|(s, _)| *s == scope);
            assert!(
                for_a_method || otherwise,
                "{scope} is asked for but nothing needs it"
            );
        }
        for method in with_token() {
            assert!(
                method.bot_scopes.is_empty()
                    || method.bot_scopes.iter().any(|s| BOT_SCOPES.contains(s)),
                "no scope asked for lets incidentd call {} (it needs one of {:?})",
                method.name,
                method.bot_scopes
            );
        }
    }
}
