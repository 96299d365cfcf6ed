//! A recording HTTP server on 127.0.0.1 for tests: it answers scripted responses in order (then
//! 200), records every request, and stops when dropped. Fakes of external services (a webhook
//! receiver, a vendor's API) are built on it; their base URL is configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request as the [`RecordingServer`] read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method (`"POST"`).
    pub method: String,
    /// The path with its query string (`"/orders/A-1001/customer"`).
    pub path: String,
    /// Headers in the order received, names as received.
    pub headers: Vec<(String, String)>,
    /// The body (`content-length` bytes; empty without one).
    pub body: Vec<u8>,
    /// When the request was read in full (for "at least N seconds later" checks).
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    /// The first header called `name` (compared case-insensitively), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Requests grouped by the value of one header (an idempotency key, say), in arrival order;
/// requests without the header are grouped under `""`. "Exactly once" is one group per key
/// whose last request succeeded, whatever retries preceded it.
pub fn group_by_header(
    requests: &[RecordedRequest],
    header: &str,
) -> std::collections::BTreeMap<String, Vec<RecordedRequest>> {
    let mut groups: std::collections::BTreeMap<String, Vec<RecordedRequest>> =
        std::collections::BTreeMap::new();
    for request in requests {
        groups
            .entry(request.header(header).unwrap_or_default().to_owned())
            .or_default()
            .push(request.clone());
    }
    groups
}

/// A scripted response: status, extra headers, body.
#[derive(Clone, Debug)]
pub struct Scripted {
    /// The status code to answer.
    pub status: u16,
    /// Headers added after `content-type: application/json` and `content-length`.
    pub headers: Vec<(String, String)>,
    /// The body, sent as is.
    pub body: String,
}

impl Scripted {
    /// A `status` answer with an empty JSON object (`{}`) as its body.
    pub fn status(status: u16) -> Self {
        Scripted {
            status,
            headers: Vec::new(),
            body: "{}".into(),
        }
    }

    /// Adds the header `name: value` to the answer (`retry-after`, say).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }
}

/// An HTTP server on 127.0.0.1 that records every request and answers from a script: the
/// stand-in for an external service in native tests. Point the var a sender reads at its
/// [`url`](Self::url), run the workflow or handler, then assert on
/// [`requests`](Self::requests). It serves one connection at a time on its own thread, and
/// stops when dropped.
///
/// # Panics
///
/// [`start`](Self::start) and [`answering`](Self::answering) panic if no loopback port can be
/// bound.
///
/// # Examples
///
/// ```
/// use sluice::http::{HttpClient, HttpRequest};
/// use sluice::native::{NativeHttp, RecordingServer, Scripted};
/// use serde_json::json;
///
/// // The shop's webhook endpoint: down once (and says when to come back), then up.
/// let webhook = RecordingServer::start(vec![Scripted::status(503).header("retry-after", "30")]);
/// let request = HttpRequest::post_json(&format!("{}/hooks", webhook.url), &json!({ "order_id": "A-1001" }))
///     .header("webhook-id", "A-1001:1:shipped");
///
/// let first = pollster::block_on(NativeHttp.send(request.clone())).expect("answered");
/// let error = first.error_for_status("webhook").unwrap_err();
/// assert!(error.is_retryable());
/// let second = pollster::block_on(NativeHttp.send(request)).expect("answered");
/// assert_eq!(second.status, 200);
///
/// let received = webhook.requests();
/// assert_eq!(received.len(), 2);
/// assert_eq!(received[0].path, "/hooks");
/// assert_eq!(received[0].json()["order_id"], "A-1001");
/// assert_eq!(received[1].header("Webhook-Id"), Some("A-1001:1:shipped"));
/// ```
pub struct RecordingServer {
    /// The base URL (`http://127.0.0.1:<port>`), to put in the var a sender reads.
    pub url: String,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn read_request(stream: &TcpStream) -> Option<RecordedRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(RecordedRequest {
        method,
        path,
        headers,
        body,
        received_at: std::time::Instant::now(),
    })
}

impl RecordingServer {
    /// Answers `script` in order, then 200 `{}`.
    pub fn start(script: Vec<Scripted>) -> RecordingServer {
        let mut script = script.into_iter();
        Self::answering(move |_| script.next().unwrap_or_else(|| Scripted::status(200)))
    }

    /// Answers each request with `respond(request)`, called on the server's thread in arrival
    /// order (after the request is recorded). Fakes of external services are built on this.
    pub fn answering(
        respond: impl FnMut(&RecordedRequest) -> Scripted + Send + 'static,
    ) -> RecordingServer {
        Self::answering_on(0, respond).expect("bind loopback")
    }

    /// [`answering`](Self::answering) on `127.0.0.1:<port>` (0: any free port); fails when
    /// the port is taken. For fakes a developer runs by hand at a known address.
    pub fn answering_on(
        port: u16,
        mut respond: impl FnMut(&RecordedRequest) -> Scripted + Send + 'static,
    ) -> std::io::Result<RecordingServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let url = format!("http://{}", listener.local_addr()?);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (recorded, stopping) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                recorded
                    .lock()
                    .expect("recording lock")
                    .push(request.clone());
                let reply = respond(&request);
                let mut head = format!("HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n", reply.status, reply.body.len());
                for (k, v) in &reply.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                let _ = stream.write_all(format!("{head}\r\n{}", reply.body).as_bytes());
            }
        });
        Ok(RecordingServer {
            url,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("recording lock").clone()
    }

    /// [`requests`](Self::requests) grouped by the `Idempotency-Key` header.
    pub fn requests_by_idempotency_key(
        &self,
    ) -> std::collections::BTreeMap<String, Vec<RecordedRequest>> {
        group_by_header(&self.requests(), "idempotency-key")
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
