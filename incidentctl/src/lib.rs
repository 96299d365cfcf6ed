//! A client of the incidentd dashboard API that signs every request (see
//! `incidentd_adapters::dashboard::receiver::auth`). Used by the `incidentctl` binary and by the
//! end-to-end tests.

use incidentd_adapters::dashboard::receiver::auth::SignedRequest;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where and as whom to call.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub base_url: String,
    pub client_id: String,
    pub user_id: String,
    pub secret: String,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Reads `KEY=value` from a `.dev.vars` file (what `scripts/run` writes for the demo tenant).
pub fn dev_var(path: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

pub struct Client {
    credentials: Credentials,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(credentials: Credentials) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        Self { credentials, agent }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Sends a signed request; `timestamp` overrides the clock (tests of the replay window).
    pub fn send_at(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        timestamp: i64,
    ) -> Result<Reply, String> {
        let c = &self.credentials;
        let signed = SignedRequest {
            method,
            path,
            client_id: &c.client_id,
            user_id: &c.user_id,
            timestamp,
            body,
        };
        let mut request = self.agent.request(
            method,
            &format!("{}{path}", c.base_url.trim_end_matches('/')),
        );
        for (name, value) in signed.headers(c.secret.as_bytes()) {
            request = request.set(name, &value);
        }
        request = request.set("content-type", "application/json");
        let outcome = if body.is_empty() {
            request.call()
        } else {
            request.send_bytes(body)
        };
        let response = match outcome {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => return Err(format!("{method} {path}: {e}")),
        };
        let status = response.status();
        let text = response
            .into_string()
            .map_err(|e| format!("{method} {path}: reading body: {e}"))?;
        Ok(Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }

    pub fn send(&self, method: &str, path: &str, body: &[u8]) -> Result<Reply, String> {
        self.send_at(method, path, body, now_secs())
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.send("GET", path, b"")
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.send("POST", path, body.to_string().as_bytes())
    }
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
