//! Credentials, request signing and the HTTP send (see
//! `incidentd_wire::signing`). Knows nothing of routes or bodies: the
//! end-to-end tests use it to send deliberately wrong requests too.

use incidentd_wire::signing::SignedRequest;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
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

    /// The body as one of the API's reply types.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        T::deserialize(&self.body).map_err(|e| format!("unexpected reply ({}): {e}", self.status))
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
        let nonce = nonce();
        let signed = SignedRequest {
            method,
            path,
            client_id: &c.client_id,
            user_id: &c.user_id,
            timestamp,
            nonce: &nonce,
            body,
        };
        let mut headers: Vec<(String, String)> = signed
            .headers(c.secret.as_bytes())
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        headers.push(("content-type".into(), "application/json".into()));
        send_with_headers(&self.agent, &c.base_url, method, path, &headers, body)
    }

    pub fn send(&self, method: &str, path: &str, body: &[u8]) -> Result<Reply, String> {
        self.send_at(method, path, body, now_secs())
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.send("GET", path, b"")
    }

    /// Posts any JSON (the tests post malformed bodies on purpose; the CLI posts the typed
    /// bodies of [`crate::requests`]).
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.send("POST", path, body.to_string().as_bytes())
    }
}

/// Sends an operator request (`/admin/*`) with the `ADMIN_TOKEN` bearer token.
pub fn send_as_operator(
    base_url: &str,
    admin_token: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Reply, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let headers = [
        ("authorization".to_owned(), format!("Bearer {admin_token}")),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    send_with_headers(&agent, base_url, method, path, &headers, body)
}

/// Sends a request with exactly `headers` (signed or deliberately not) and reads the reply:
/// any status is a reply; only a transport failure is an error.
pub fn send_with_headers(
    agent: &ureq::Agent,
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Reply, String> {
    let mut request = agent.request(method, &format!("{}{path}", base_url.trim_end_matches('/')));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let outcome = if body.is_empty() {
        request.call()
    } else {
        request.send_bytes(body)
    };
    let response = match outcome {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
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

/// A request nonce unique to this process and moment: time, process id and a counter.
pub fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{count:x}", std::process::id())
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dev_var_trimmed_and_unquoted() {
        let path = std::env::temp_dir().join(format!("incidentctl-dev-vars-{}", nonce()));
        std::fs::write(&path, "OTHER=1\n DASHBOARD_SIGNING_SECRET = \"s3cret\"\n").unwrap();
        assert_eq!(
            dev_var(&path, "DASHBOARD_SIGNING_SECRET").as_deref(),
            Some("s3cret")
        );
        assert_eq!(dev_var(&path, "MISSING"), None);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(dev_var(&path, "OTHER"), None, "a missing file has no vars");
    }

    #[test]
    fn nonces_differ_within_one_process() {
        assert_ne!(nonce(), nonce());
    }

    #[test]
    fn decodes_a_reply_or_says_why_not() {
        #[derive(serde::Deserialize)]
        struct Replayed {
            replayed: i64,
        }
        let reply = Reply {
            status: 200,
            body: serde_json::json!({ "replayed": 4 }),
        };
        assert_eq!(reply.decode::<Replayed>().unwrap().replayed, 4);
        let error = Reply {
            status: 200,
            body: Value::Null,
        }
        .decode::<Replayed>()
        .err()
        .unwrap();
        assert!(error.starts_with("unexpected reply (200)"), "{error}");
    }
}
