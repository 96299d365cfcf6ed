//! What Slack reads from a Web API request, judged by Slack's published contract: the table
//! `contracts/slack/methods.rs`, derived from Slack's OpenAPI description with documented
//! amendments (see `contracts/slack/README.md`), the same table the client encodes by.
//!
//! A request that breaks the contract is answered as Slack answers it, and each breach is
//! reported as a [`ContractViolation`]:
//! - a method the table does not hold: `unknown_method`;
//! - a token in the query string: `invalid_auth` (refused for apps made since 2021-02-24,
//!   <https://docs.slack.dev/changelog/2020-11-no-more-tokens-in-querystrings-for-newly-created-apps>);
//! - a POST body without `Content-Type`: `missing_post_type`; a type Slack takes for no method:
//!   `invalid_post_type`; a charset other than utf-8 or iso-8859-1: `invalid_charset`; JSON that
//!   does not parse: `invalid_json`, or is no object: `json_not_object` (the request-level errors
//!   every method's entry in the spec lists);
//! - a body of a type Slack takes, but not for this method (JSON to `conversations.history`):
//!   not read, so the method sees only what the query carried, as if no argument were given;
//! - a verb the method does not list (GET on a write): the method pages document none other,
//!   and Slack's answer is not documented; the closest documented behaviour is the Web API
//!   page's general rule, so the query is read and the call served;
//! - an argument the method does not have: ignored, as Slack ignores it;
//! - a `token` inside a JSON body: Slack reads the token of a JSON call from the
//!   Authorization header only (<https://docs.slack.dev/changelog/2017-10-keeping-up-with-the-jsons>),
//!   so it is no token;
//! - a required argument absent: `invalid_arguments`, with `[ERROR] missing required field: <name>`
//!   in `response_metadata.messages` (an absent argument, not an empty one: an empty `channel`
//!   reaches the method and is `channel_not_found`).
//!
//! Calls that merely need correcting succeed with a warning, as Slack's do (`warning` and
//! `response_metadata.warnings`): JSON without `charset` (`missing_charset`), a form with one
//! (`superfluous_charset`).

use super::request::{form_pairs, split_path};
use serde_json::{Map, Value};
use sluice::native::RecordedRequest;
use std::fmt;

#[allow(dead_code)] // Shared with the client (adapters), which reads other fields of it.
mod table {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/slack/methods.rs"
    ));
}
#[cfg(test)]
pub(super) use table::SLACK_METHODS;
pub(super) use table::{slack_method, SlackMethod};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
/// Every body type Slack reads for some method (`invalid_post_type` names them).
const SLACK_POST_TYPES: [&str; 4] = [JSON, FORM, "multipart/form-data", "text/plain"];
/// The charsets Slack knows (`invalid_charset` names them).
const SLACK_CHARSETS: [&str; 2] = ["utf-8", "iso-8859-1"];

/// A rule of Slack's contract that a request broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContractRule {
    /// A method the contract table does not hold.
    UnknownMethod,
    /// A token in the query string.
    TokenInQuery,
    /// An HTTP verb the method does not list.
    Verb,
    /// A POST body without `Content-Type`.
    MissingContentType,
    /// A `Content-Type` or charset Slack takes for no method.
    InvalidContentType,
    /// A body this method does not read (JSON to a read method, a body on GET).
    BodyNotRead,
    /// A JSON body that does not parse or is not an object.
    MalformedJson,
    /// A `token` inside a JSON body.
    TokenInJsonBody,
    /// An argument the method does not have.
    UnknownArgument,
    /// A required argument absent.
    MissingArgument,
}

impl ContractRule {
    pub fn name(self) -> &'static str {
        match self {
            ContractRule::UnknownMethod => "unknown_method",
            ContractRule::TokenInQuery => "token_in_query",
            ContractRule::Verb => "verb",
            ContractRule::MissingContentType => "missing_content_type",
            ContractRule::InvalidContentType => "invalid_content_type",
            ContractRule::BodyNotRead => "body_not_read",
            ContractRule::MalformedJson => "malformed_json",
            ContractRule::TokenInJsonBody => "token_in_json_body",
            ContractRule::UnknownArgument => "unknown_argument",
            ContractRule::MissingArgument => "missing_argument",
        }
    }
}

/// A request that broke Slack's contract: which method, which rule, and how (argument names
/// and media types only, never values: no token or message text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractViolation {
    pub method: String,
    pub rule: ContractRule,
    pub detail: String,
}

impl fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.method, self.rule.name(), self.detail)?;
        match slack_method(&self.method) {
            Some(method) => write!(f, " (see {})", method.docs),
            None => Ok(()),
        }
    }
}

/// A warning the fake answered (`missing_charset`, `superfluous_charset`), as Slack would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackWarning {
    pub method: String,
    pub code: String,
}

impl fmt::Display for SlackWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning {}", self.method, self.code)
    }
}

/// A warning code and the message Slack puts beside it in `response_metadata.messages`, when
/// its text is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Warning {
    pub code: &'static str,
    pub message: Option<&'static str>,
}

const MISSING_CHARSET: Warning = Warning {
    code: "missing_charset",
    message: Some(
        "[WARN] A Content-Type HTTP header was presented but did not declare a charset, such as a 'utf-8'",
    ),
};
/// Slack's message text for this one is not published: the code alone is answered.
const SUPERFLUOUS_CHARSET: Warning = Warning {
    code: "superfluous_charset",
    message: None,
};

/// Slack's refusal of a request before the method runs: the error code and
/// `response_metadata.messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    pub code: &'static str,
    pub messages: Vec<String>,
}

/// What Slack reads from one request.
#[derive(Debug, Default)]
pub(super) struct Reading {
    /// The arguments the method sees.
    pub args: Map<String, Value>,
    /// The token presented: the bearer header, else a `token` field of a form body.
    pub token: Option<String>,
    /// Client credentials as HTTP Basic (`oauth.v2.access`).
    pub basic_auth: bool,
    pub breaches: Vec<(ContractRule, String)>,
    pub warnings: Vec<Warning>,
    /// Refused before authentication (a malformed request, a token in the query).
    pub refusal: Option<Refusal>,
    /// Required arguments absent: refused after authentication (`invalid_arguments`).
    pub missing: Vec<&'static str>,
}

impl Reading {
    fn breach(&mut self, rule: ContractRule, detail: String) {
        self.breaches.push((rule, detail));
    }

    fn refuse(mut self, rule: ContractRule, code: &'static str, detail: String) -> Reading {
        self.breach(rule, detail);
        self.refusal = Some(Refusal {
            code,
            messages: Vec::new(),
        });
        self
    }
}

/// A JSON-valued argument (per the contract) sent as a string is decoded; anything else is
/// kept as sent.
pub(super) fn decode(method: Option<&SlackMethod>, name: &str, value: Value) -> Value {
    let is_json = method.is_some_and(|m| m.arguments.iter().any(|a| a.name == name && a.json));
    match value {
        Value::String(text) if is_json => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        other => other,
    }
}

/// `Content-Type` as its media type and charset, both lowercase.
fn media_type(content_type: &str) -> (String, Option<String>) {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
    (media, charset)
}

/// What Slack reads from `request`, a call of `method_name`.
pub(super) fn read(request: &RecordedRequest, method_name: &str) -> Reading {
    let mut reading = Reading {
        token: request
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(str::to_owned),
        basic_auth: request
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic ")),
        ..Reading::default()
    };
    let Some(method) = slack_method(method_name) else {
        let detail = format!("{method_name} is not in the contract table");
        return reading.refuse(ContractRule::UnknownMethod, "unknown_method", detail);
    };
    let (_, query) = split_path(&request.path);
    let query = form_pairs(query.as_bytes());
    if query.iter().any(|(name, _)| name == "token") {
        let detail = "a token in the query string".to_owned();
        return reading.refuse(ContractRule::TokenInQuery, "invalid_auth", detail);
    }
    let verb = request.method.to_ascii_uppercase();
    if !method.verbs.contains(&verb.as_str()) {
        let listed = method.verbs.join(", ");
        reading.breach(
            ContractRule::Verb,
            format!("{verb}; the contract lists {listed}"),
        );
    }
    // Slack reads the query whatever the verb ("GET querystring parameters ... or a mix").
    for (name, value) in query {
        let value = decode(Some(method), &name, Value::String(value));
        reading.args.insert(name, value);
    }
    if !request.body.is_empty() {
        reading = match verb.as_str() {
            "POST" => read_body(reading, request, method),
            _ => {
                let detail = format!("a body on {verb} is not read");
                reading.breach(ContractRule::BodyNotRead, detail);
                reading
            }
        };
        if reading.refusal.is_some() {
            return reading;
        }
    }
    let unknown: Vec<String> = reading
        .args
        .keys()
        .filter(|name| !method.arguments.iter().any(|a| a.name == name.as_str()))
        .cloned()
        .collect();
    for name in unknown {
        reading.args.remove(&name);
        let detail = format!("{name} is not an argument of {method_name}: Slack ignores it");
        reading.breach(ContractRule::UnknownArgument, detail);
    }
    for argument in method.arguments.iter().filter(|a| a.required) {
        if !reading.args.contains_key(argument.name) {
            reading.missing.push(argument.name);
            let detail = format!("the required argument {} is absent", argument.name);
            reading.breach(ContractRule::MissingArgument, detail);
        }
    }
    reading
}

/// The arguments of a POST body, when the method reads its type.
fn read_body(mut reading: Reading, request: &RecordedRequest, method: &SlackMethod) -> Reading {
    let Some(content_type) = request.header("content-type") else {
        let detail = "a POST body without Content-Type".to_owned();
        return reading.refuse(
            ContractRule::MissingContentType,
            "missing_post_type",
            detail,
        );
    };
    let (media, charset) = media_type(content_type);
    if let Some(charset) = charset.as_deref().filter(|c| !SLACK_CHARSETS.contains(c)) {
        let detail = format!("charset {charset}");
        return reading.refuse(ContractRule::InvalidContentType, "invalid_charset", detail);
    }
    if !SLACK_POST_TYPES.contains(&media.as_str()) {
        let detail = format!("Content-Type {media}");
        return reading.refuse(
            ContractRule::InvalidContentType,
            "invalid_post_type",
            detail,
        );
    }
    // The charset warnings are about the header, whether or not the method reads the body.
    match (media.as_str(), &charset) {
        (JSON, None) => reading.warnings.push(MISSING_CHARSET),
        (FORM, Some(_)) => reading.warnings.push(SUPERFLUOUS_CHARSET),
        _ => {}
    }
    if !method.content_types.contains(&media.as_str()) {
        let detail = format!(
            "the {media} body is not read: {} takes {}, so it sees only the query",
            method.name,
            method.content_types.join(", ")
        );
        reading.breach(ContractRule::BodyNotRead, detail);
        return reading;
    }
    if media == FORM {
        for (name, value) in form_pairs(&request.body) {
            match name.as_str() {
                // "Tokens should be passed as an HTTP Authorization header or alternatively,
                // as a POST parameter."
                "token" => {
                    reading.token.get_or_insert(value);
                }
                _ => {
                    let value = decode(Some(method), &name, Value::String(value));
                    reading.args.insert(name, value);
                }
            }
        }
        return reading;
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(fields)) => {
            for (name, value) in fields {
                if name == "token" {
                    let detail = "a token in a JSON body is not read".to_owned();
                    reading.breach(ContractRule::TokenInJsonBody, detail);
                    continue;
                }
                let value = decode(Some(method), &name, value);
                reading.args.insert(name, value);
            }
            reading
        }
        Ok(_) => {
            let detail = "the JSON body is not an object".to_owned();
            reading.refuse(ContractRule::MalformedJson, "json_not_object", detail)
        }
        Err(_) => {
            let detail = "the JSON body does not parse".to_owned();
            reading.refuse(ContractRule::MalformedJson, "invalid_json", detail)
        }
    }
}
