//! A Web API request as the fake received it ([`SlackCall`]): the method from the path and
//! every argument the request carried (query, form or JSON body), whatever the contract says
//! Slack would read of them ([`super::contract`]).

use super::contract::{decode, slack_method};
use serde_json::{Map, Value};
use sluice::native::RecordedRequest;

/// One Web API call as the fake received it.
#[derive(Clone, Debug, PartialEq)]
pub struct SlackCall {
    /// `chat.postMessage`, ….
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// Every argument the request carried (query, form or JSON body) as one JSON object; form
    /// values the contract says are JSON (`blocks`, `metadata`, `view`) are decoded. The fake
    /// answered from what Slack would read, which may be less (see [`super::ContractViolation`]).
    pub body: Value,
    pub received_at: std::time::Instant,
}

impl SlackCall {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The argument `name` as a string (`""` when absent or not a string).
    pub fn arg(&self, name: &str) -> &str {
        self.body[name].as_str().unwrap_or_default()
    }
}

/// A call and what the fake answered.
#[derive(Clone, Debug, PartialEq)]
pub struct AnsweredCall {
    pub call: SlackCall,
    /// The HTTP status (200 unless a fault said otherwise).
    pub status: u16,
    /// The answer's JSON (`{"ok":..}`), or the raw text when it is not JSON.
    pub answer: Value,
}

/// The path without its query, and the query.
pub(super) fn split_path(path: &str) -> (&str, &str) {
    path.split_once('?').unwrap_or((path, ""))
}

/// The pairs of a URL-encoded form or query.
pub(super) fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(super) fn parse_call(request: &RecordedRequest) -> SlackCall {
    let (path, query) = split_path(&request.path);
    let method = path.rsplit('/').next().unwrap_or_default().to_owned();
    let contract = slack_method(&method);
    let mut args = Map::new();
    let is_json = request
        .header("content-type")
        .is_some_and(|t| t.trim_start().starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(body)) = serde_json::from_slice(&request.body) {
            args.extend(body);
        }
    } else {
        for (k, v) in form_pairs(&request.body) {
            args.insert(k, Value::String(v));
        }
    }
    for (k, v) in form_pairs(query.as_bytes()) {
        args.entry(k).or_insert(Value::String(v));
    }
    let args = args
        .into_iter()
        .map(|(k, v)| {
            let v = decode(contract, &k, v);
            (k, v)
        })
        .collect();
    SlackCall {
        method,
        headers: request.headers.clone(),
        body: Value::Object(args),
        received_at: request.received_at,
    }
}
