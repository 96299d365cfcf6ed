//! A Slack Web API client over the runtime's HTTP port: `POST <SLACK_API_URL>/<method>` with a
//! JSON body and the bot token as a bearer header. Every call has [`CALL_TIMEOUT`] unless the
//! client was made with another ([`SlackApi::with_timeout`]). HTTP 429 and 5xx become
//! retryable step errors (429 waiting `Retry-After`); `{"ok":false}` answers are
//! [`SlackCallError::Api`] with Slack's error code, for the caller to judge.
//!
//! A method that is safe to repeat ([`SAFE_TO_REPEAT`]) is asked once more at once after a
//! 5xx: a step makes several calls, and without this one passing 500 anywhere re-runs the whole
//! step, so a few percent of failing calls add up to steps that exhaust their retries.

use super::secret::Secret;
use incidentd_runtime::http::HttpClient;
use incidentd_runtime::prelude::*;
use incidentd_runtime::Duration;
use serde_json::Value;
use std::fmt;
use std::rc::Rc;

/// Slack answers in well under a second; past this the outcome is unknown and the caller
/// checks before repeating a post.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Slack error codes that mean "try again later".
const TRANSIENT_CODES: [&str; 5] = [
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
];

/// Methods that do nothing twice when asked twice: reads, and writes that set a state (a
/// repeat answers `already_pinned`, `already_in_channel`, `already_reacted`,
/// `already_archived`, or rewrites the same message). Not `chat.postMessage`,
/// `conversations.create` or `views.open`: a 5xx leaves unknown whether they took effect, and
/// their callers check before repeating them.
pub const SAFE_TO_REPEAT: [&str; 8] = [
    "chat.update",
    "conversations.archive",
    "conversations.history",
    "conversations.invite",
    "conversations.list",
    "conversations.replies",
    "pins.add",
    "reactions.add",
];

#[derive(Clone, Debug, PartialEq)]
pub enum SlackCallError {
    /// Slack answered `{"ok":false,"error":code}`: nothing happened.
    Api { method: String, code: String },
    /// No usable answer: transport failure, timeout, 429 or 5xx. For a write, the outcome is
    /// unknown (except 429, which Slack refuses before doing anything).
    Unanswered(EffectError),
}

impl SlackCallError {
    pub fn is_code(&self, code: &str) -> bool {
        matches!(self, SlackCallError::Api { code: c, .. } if c == code)
    }
}

impl fmt::Display for SlackCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlackCallError::Api { method, code } => write!(f, "{method}: {code}"),
            SlackCallError::Unanswered(e) => write!(f, "{e:?}"),
        }
    }
}

impl From<SlackCallError> for EffectError {
    fn from(e: SlackCallError) -> Self {
        match e {
            SlackCallError::Unanswered(e) => e,
            SlackCallError::Api { method, code } if TRANSIENT_CODES.contains(&code.as_str()) => {
                EffectError::retryable(format!("{method}: {code}"))
            }
            // Missing scopes, a revoked token, an archived channel: a retry cannot fix them.
            SlackCallError::Api { method, code } => {
                EffectError::non_retryable(format!("{method}: {code}"))
            }
        }
    }
}

pub struct SlackApi {
    base_url: String,
    token: Secret,
    http: Rc<dyn HttpClient>,
    timeout: Duration,
}

impl SlackApi {
    pub fn new(base_url: String, token: Secret, http: Rc<dyn HttpClient>) -> Self {
        SlackApi {
            base_url,
            token,
            http,
            timeout: CALL_TIMEOUT,
        }
    }

    /// The same client with another per-call timeout: a call made inside one of Slack's own
    /// 3 s requests (`views.open` with a trigger) must give up sooner than [`CALL_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls `method` with `args`; the answer on `ok: true`.
    pub async fn call(&self, method: &str, args: &Value) -> Result<Value, SlackCallError> {
        let attempts = if SAFE_TO_REPEAT.contains(&method) {
            2
        } else {
            1
        };
        let mut attempt = 1;
        let response = loop {
            let response = self
                .http
                .send(self.request(method, args))
                .await
                .map_err(|e| SlackCallError::Unanswered(e.into()))?;
            if (500..600).contains(&response.status) && attempt < attempts {
                attempt += 1;
                continue;
            }
            break response
                .error_for_status(method)
                .map_err(SlackCallError::Unanswered)?;
        };
        let answer: Value = serde_json::from_slice(&response.body).map_err(|_| {
            SlackCallError::Unanswered(EffectError::retryable(format!(
                "{method}: the answer is not JSON"
            )))
        })?;
        match answer["ok"].as_bool() {
            Some(true) => Ok(answer),
            _ => Err(SlackCallError::Api {
                method: method.to_owned(),
                code: answer["error"].as_str().unwrap_or("unknown").to_owned(),
            }),
        }
    }

    fn request(&self, method: &str, args: &Value) -> HttpRequest {
        let mut request = HttpRequest::post_json(&format!("{}/{method}", self.base_url), args)
            .header("authorization", &format!("Bearer {}", self.token.expose()));
        request.timeout = self.timeout;
        request
    }

    /// Like [`SlackApi::call`], with the listed error codes meaning "already done".
    pub async fn call_allowing(
        &self,
        method: &str,
        args: &Value,
        done_codes: &[&str],
    ) -> Result<(), SlackCallError> {
        match self.call(method, args).await {
            Ok(_) => Ok(()),
            Err(e) if done_codes.iter().any(|code| e.is_code(code)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
