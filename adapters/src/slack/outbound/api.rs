//! A Slack Web API client over the runtime's HTTP port: `POST <SLACK_API_URL>/<method>` with the
//! bot token as a bearer header, each method encoded as Slack's published contract says
//! ([`crate::slack::outbound::contract`], generated from `contracts/slack`): JSON (`application/json; charset=utf-8`)
//! for a method whose contract takes JSON, a form for the others (the read methods, which do not
//! read a JSON body at all). Every call has [`CALL_TIMEOUT`] unless the client was made with
//! another (`SlackApi::with_timeout`). HTTP 429 and 5xx become retryable step errors (429
//! waiting `Retry-After`); `{"ok":false}` answers are [`SlackCallError::Api`] with Slack's
//! error code, for the caller to judge. Warnings in any answer are logged (codes only).
//!
//! A method that is safe to repeat (`SAFE_TO_REPEAT`) is asked once more at once after a
//! 5xx: a step makes several calls, and without this one passing 500 anywhere re-runs the whole
//! step, so a few percent of failing calls add up to steps that exhaust their retries.

use crate::slack::outbound::contract::{
    encoding, form_body, Encoding, FORM_CONTENT_TYPE, JSON_CONTENT_TYPE,
};
use incidentd_wire::secret::Secret;
use serde_json::Value;
use sluice::http::HttpClient;
use sluice::prelude::*;
use sluice::Duration;
use std::fmt;
use std::rc::Rc;

/// The error code of a call the client refused to send: its method is not in the contract
/// table (`contracts/slack`).
pub const NOT_IN_CONTRACT: &str = "method_not_in_contract";

/// The warning codes of an answer (`warning`, comma-separated, and
/// `response_metadata.warnings`), once each, in order. Only codes are kept (`[a-z0-9_]`): the
/// human-readable `messages` are not logged, so no message content can reach the log.
pub(crate) fn warnings(answer: &Value) -> Vec<String> {
    let listed = answer["response_metadata"]["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    let joined = answer["warning"].as_str().unwrap_or_default().split(',');
    let mut codes: Vec<String> = Vec::new();
    for code in joined.chain(listed).map(str::trim) {
        let is_code = !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if is_code && !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    codes
}

/// Logs the warnings Slack put in its answer to `method`, if any.
pub(crate) fn log_warnings(method: &str, answer: &Value) {
    let codes = warnings(answer);
    if !codes.is_empty() {
        sluice::log::info(&format!(
            "slack: {method} answered with warnings: {}",
            codes.join(",")
        ));
    }
}

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
pub(crate) const SAFE_TO_REPEAT: [&str; 8] = [
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
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Calls `method` with `args` (a JSON object), encoded as its contract says; the answer on
    /// `ok: true`. A method outside the contract table is not called.
    pub async fn call(&self, method: &str, args: &Value) -> Result<Value, SlackCallError> {
        let request = self.request(method, args)?;
        let attempts = if SAFE_TO_REPEAT.contains(&method) {
            2
        } else {
            1
        };
        let mut attempt = 1;
        let response = loop {
            let response = self
                .http
                .send(request.clone())
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
        log_warnings(method, &answer);
        match answer["ok"].as_bool() {
            Some(true) => Ok(answer),
            _ => Err(SlackCallError::Api {
                method: method.to_owned(),
                code: answer["error"].as_str().unwrap_or("unknown").to_owned(),
            }),
        }
    }

    fn request(&self, method: &str, args: &Value) -> Result<HttpRequest, SlackCallError> {
        // Nothing was sent: add the method to contracts/slack/amendments.toml to call it.
        let encoding = encoding(method).ok_or_else(|| SlackCallError::Api {
            method: method.to_owned(),
            code: NOT_IN_CONTRACT.to_owned(),
        })?;
        let (content_type, body) = match encoding {
            Encoding::Json => (JSON_CONTENT_TYPE, args.to_string().into_bytes()),
            Encoding::Form => (FORM_CONTENT_TYPE, form_body(args)),
        };
        Ok(HttpRequest {
            method: "POST".into(),
            url: format!("{}/{method}", self.base_url),
            headers: vec![
                ("content-type".into(), content_type.into()),
                (
                    "authorization".into(),
                    format!("Bearer {}", self.token.expose()),
                ),
            ],
            body,
            timeout: self.timeout,
        })
    }

    /// Like [`SlackApi::call`], with the listed error codes meaning "already done".
    pub(crate) async fn call_allowing(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warnings_are_the_codes_of_both_fields_once_each() {
        let answer = json!({
            "ok": true, "warning": "missing_charset,superfluous_charset",
            "response_metadata": {
                "warnings": ["missing_charset", "Bad <@U1> text"],
                "messages": ["[WARN] some message text"],
            },
        });
        assert_eq!(
            warnings(&answer),
            ["missing_charset", "superfluous_charset"]
        );
        assert!(warnings(&json!({ "ok": true })).is_empty());
        assert!(warnings(&json!({ "ok": false, "error": "x", "warning": "" })).is_empty());
    }
}
