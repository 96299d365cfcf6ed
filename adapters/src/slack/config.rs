//! The Slack integration's Worker variables and secrets, read in one place. Values that are
//! secrets come back as [`Secret`], so a stray `{:?}` cannot print them.

use crate::slack::token_crypto::{TokenCryptoError, TokenKey};
use incidentd_wire::secret::Secret;
use sluice::workflow::Services;

/// Base URL of the Web API (methods are `<base>/<method>`); tests point it at a fake.
pub const API_URL_VAR: &str = "SLACK_API_URL";
pub const DEFAULT_API_URL: &str = "https://slack.com/api";
/// Verifies Slack's requests (`slack::signature`).
pub const SIGNING_SECRET_VAR: &str = "SLACK_SIGNING_SECRET";
/// Base64 of 32 bytes: encrypts stored bot tokens (`slack::token_crypto`).
pub const TOKEN_KEY_VAR: &str = "SLACK_TOKEN_KEY";
/// The OAuth install (`slack::oauth`): the app's credentials from Slack's app page.
pub const CLIENT_ID_VAR: &str = "SLACK_CLIENT_ID";
pub const CLIENT_SECRET_VAR: &str = "SLACK_CLIENT_SECRET";
/// Signs the install's `state` (HMAC-SHA256); its own secret, so no other key is reused.
pub const STATE_SECRET_VAR: &str = "SLACK_STATE_SECRET";
/// Slack's authorize page; tests point it elsewhere.
pub const AUTHORIZE_URL_VAR: &str = "SLACK_OAUTH_AUTHORIZE_URL";
pub const DEFAULT_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";
/// The OAuth Redirect URL, when the Worker's public URL is not the one requests arrive on.
pub const REDIRECT_URL_VAR: &str = "SLACK_REDIRECT_URL";

pub(crate) fn non_empty(services: &dyn Services, name: &str) -> Option<String> {
    services.var(name).filter(|v| !v.trim().is_empty())
}

/// `SLACK_API_URL` without a trailing slash, or Slack's own.
pub fn api_url(services: &dyn Services) -> String {
    non_empty(services, API_URL_VAR)
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| DEFAULT_API_URL.to_owned())
}

pub fn signing_secret(services: &dyn Services) -> Option<Secret> {
    non_empty(services, SIGNING_SECRET_VAR).map(Secret::new)
}

/// The token key; `BadKey` when it is missing or malformed.
pub fn token_key(services: &dyn Services) -> Result<TokenKey, TokenCryptoError> {
    let key = non_empty(services, TOKEN_KEY_VAR).ok_or(TokenCryptoError::BadKey)?;
    TokenKey::from_base64(&Secret::new(key))
}
