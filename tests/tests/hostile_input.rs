//! Hostile input on every route added since the dashboard API's own table (`api_errors.rs`):
//! Slack's events, interactions and commands, the Slack install and OAuth callback, the
//! operator's Slack connection and admin API, the public status page, and the dashboard's
//! prompts and analysis routes. One worker, one table, one sender that puts exactly the bytes
//! of each case on the wire (raw HTTP/1.1, so paths with `..`, encoded slashes or invalid UTF-8
//! reach workerd as written). Each case must get its documented answer (docs/api.md,
//! docs/slack.md, docs/admin.md, docs/status-page.md), never a 5xx, and write nothing: no new
//! Durable Object, no change in any D1 row (read from the local D1 file), no change in the
//! watched incidents (state and timeline, through the API), no call to Slack beyond the OAuth
//! code exchange a callback case makes.
//!
//! Every case runs; the assertion at the end lists all the failing ones at once.

use incidentctl::slack::{severity_selected, slash_command, SlackRequest, Workspace};
use incidentd_core::Severity;
use incidentd_e2e::slack::{
    connect, mention, new_mention, ADMIN_TOKEN, COMMANDS_PATH, EVENTS_PATH, INTERACTIONS_PATH,
    SIGNING_SECRET, TOKEN_KEY,
};
use incidentd_e2e::{create_incident, LocalWorker, AHEAD, TEST_SECRET};
use incidentd_testkit::{FakeSlack, FAKE_APP_ID, FAKE_TEAM_ID};
use incidentd_wire::signing::SignedRequest;
use incidentd_wire::slack_ids as ids;
use incidentd_wire::slack_signing::{sign, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

const CLIENT_ID: &str = "1111.2222";
const CLIENT_SECRET: &str = "hostile-client-secret-4d21";
const STATE_SECRET: &str = "hostile-state-secret-9b0e";
const OTHER: &str = "other-tenant";
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

// ---------------------------------------------------------------------------------------------
// The one sender: exact bytes on the wire.
// ---------------------------------------------------------------------------------------------

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("-")
            .to_owned()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `method target HTTP/1.1` with exactly `headers` and `body` (plus host, length, close).
fn send_exact(
    port: u16,
    method: &str,
    target: &[u8],
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut request = Vec::new();
    request.extend_from_slice(method.as_bytes());
    request.push(b' ');
    request.extend_from_slice(target);
    request.extend_from_slice(b" HTTP/1.1\r\n");
    let mut head = format!(
        "host: 127.0.0.1:{port}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(body);
    stream.write_all(&request).map_err(|e| e.to_string())?;
    // The dev server may keep the connection open: stop at the end of the answer, not at EOF.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if answer_complete(&raw) {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("reading the answer: {e}")),
        }
    }
    parse_answer(&raw)
}

/// Whether `raw` holds a whole answer (by its content-length, or the last chunk).
fn answer_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    if let Some(length) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        return body.len() >= length;
    }
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        return body.ends_with(b"0\r\n\r\n");
    }
    // Neither: a bodiless status (204, 304) or one that ends at EOF.
    head.starts_with("http/1.1 204") || head.starts_with("http/1.1 304")
}

fn parse_answer(raw: &[u8]) -> Result<Answer, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = unchunk(&body);
    }
    Ok(Answer { status, body })
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || data.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[(end + 4 + size).min(data.len())..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// How a case authenticates (computed at send time, so the timestamps are fresh).
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Slack {
    Valid,
    Missing,
    NoTimestamp,
    NoSignature,
    EmptySignature,
    /// The right digest under another version prefix.
    Version(&'static str),
    /// The right digest without `v0=`.
    NoPrefix,
    OtherSecret,
    /// The right signature without its last two hex digits.
    Truncated,
    /// The right signature with a non-hex digit in it.
    NonHex,
    /// Signed correctly at now + this many seconds.
    At(i64),
    TimestampText,
    /// Signed for another body.
    ForOtherBody,
    /// Signed at one timestamp, sent with the next.
    ForOtherTimestamp,
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    Slack(Slack),
    /// Dashboard signature of `tenant` over the case's method, target and body, at now + offset.
    Dashboard {
        tenant: &'static str,
        offset: i64,
    },
    /// `Authorization: <value>`.
    Authorization(String),
    /// Headers captured from an earlier, accepted request (a replay).
    Captured(Vec<(String, String)>),
}

fn bearer(token: &str) -> Auth {
    Auth::Authorization(format!("Bearer {token}"))
}

fn operator() -> Auth {
    bearer(ADMIN_TOKEN)
}

fn signed(tenant: &'static str) -> Auth {
    Auth::Dashboard { tenant, offset: 0 }
}

fn slack_headers(how: &Slack, body: &[u8]) -> Vec<(String, String)> {
    let now = incidentctl::now_secs();
    let pair = |ts: String, sig: String| {
        vec![
            (HEADER_TIMESTAMP.to_owned(), ts),
            (HEADER_SIGNATURE.to_owned(), sig),
        ]
    };
    let good = sign(SIGNING_SECRET.as_bytes(), now, body);
    let digest = good.trim_start_matches("v0=").to_owned();
    match how {
        Slack::Valid => pair(now.to_string(), good),
        Slack::Missing => Vec::new(),
        Slack::NoTimestamp => vec![(HEADER_SIGNATURE.to_owned(), good)],
        Slack::NoSignature => vec![(HEADER_TIMESTAMP.to_owned(), now.to_string())],
        Slack::EmptySignature => pair(now.to_string(), String::new()),
        Slack::Version(v) => pair(now.to_string(), format!("{v}={digest}")),
        Slack::NoPrefix => pair(now.to_string(), digest),
        Slack::OtherSecret => pair(now.to_string(), sign(b"not-the-secret", now, body)),
        Slack::Truncated => pair(now.to_string(), good[..good.len() - 2].to_owned()),
        Slack::NonHex => pair(now.to_string(), format!("{}zz", &good[..good.len() - 2])),
        Slack::At(offset) => pair(
            (now + offset).to_string(),
            sign(SIGNING_SECRET.as_bytes(), now + offset, body),
        ),
        Slack::TimestampText => pair("now".to_owned(), good),
        Slack::ForOtherBody => pair(now.to_string(), sign(SIGNING_SECRET.as_bytes(), now, b"{}")),
        Slack::ForOtherTimestamp => pair((now + 1).to_string(), good),
    }
}

fn dashboard_headers(
    tenant: &str,
    offset: i64,
    method: &str,
    target: &[u8],
    body: &[u8],
) -> Vec<(String, String)> {
    let user = format!("{tenant}-user");
    let path = String::from_utf8_lossy(target);
    SignedRequest {
        method,
        path: &path,
        client_id: tenant,
        user_id: &user,
        timestamp: incidentctl::now_secs() + offset,
        nonce: &incidentctl::nonce(),
        body,
    }
    .headers(TEST_SECRET.as_bytes())
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// The table's rows.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Expect {
    /// This status with `{"error": {"code": ..}}`.
    Error(u16, &'static str),
    /// This status, and the body contains this text (HTML pages, Slack's answers).
    Says(u16, &'static str),
    /// This status (any body).
    Status(u16),
}

struct Case {
    route: &'static str,
    name: String,
    method: &'static str,
    target: Vec<u8>,
    content_type: Option<&'static str>,
    auth: Auth,
    body: Vec<u8>,
    expect: Expect,
}

impl Case {
    fn new(
        route: &'static str,
        name: &str,
        method: &'static str,
        target: impl AsRef<[u8]>,
    ) -> Case {
        Case {
            route,
            name: name.to_owned(),
            method,
            target: target.as_ref().to_vec(),
            content_type: None,
            auth: Auth::None,
            body: Vec::new(),
            expect: Expect::Status(0),
        }
    }

    fn body(mut self, body: impl AsRef<[u8]>, content_type: &'static str) -> Case {
        self.body = body.as_ref().to_vec();
        self.content_type = Some(content_type);
        self
    }

    fn auth(mut self, auth: Auth) -> Case {
        self.auth = auth;
        self
    }

    fn error(mut self, status: u16, code: &'static str) -> Case {
        self.expect = Expect::Error(status, code);
        self
    }

    fn says(mut self, status: u16, text: &'static str) -> Case {
        self.expect = Expect::Says(status, text);
        self
    }

    fn status(mut self, status: u16) -> Case {
        self.expect = Expect::Status(status);
        self
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = match &self.auth {
            Auth::None => Vec::new(),
            Auth::Slack(how) => slack_headers(how, &self.body),
            Auth::Dashboard { tenant, offset } => {
                dashboard_headers(tenant, *offset, self.method, &self.target, &self.body)
            }
            Auth::Authorization(value) => vec![("authorization".to_owned(), value.clone())],
            Auth::Captured(headers) => headers.clone(),
        };
        if let Some(content_type) = self.content_type {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("content-type".to_owned(), content_type.to_owned()));
        }
        headers
    }

    fn problem(&self, answer: &Answer) -> Option<String> {
        if answer.status >= 500 {
            return Some(format!(
                "a {} (never for bad input): {}",
                answer.status,
                shorten(&answer.text())
            ));
        }
        let ok = match &self.expect {
            Expect::Error(status, code) => answer.status == *status && answer.code() == *code,
            Expect::Says(status, text) => answer.status == *status && answer.text().contains(text),
            Expect::Status(status) => answer.status == *status,
        };
        (!ok).then(|| {
            format!(
                "expected {:?}, got {} {}",
                self.expect,
                answer.status,
                shorten(&answer.text())
            )
        })
    }
}

// ---------------------------------------------------------------------------------------------
// What must not change.
// ---------------------------------------------------------------------------------------------

/// Every row of every table of the local D1 database(s), as text.
fn d1_rows(state_dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    let dir = state_dir.join("v3/d1");
    let mut files = Vec::new();
    collect_files(&dir, &mut files);
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "sqlite"))
    {
        let db = rusqlite::Connection::open_with_flags(
            file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("open the local D1 file");
        db.busy_timeout(Duration::from_secs(5)).ok();
        let tables: Vec<String> = db
            // `_cf_*`: the D1 simulator's own bookkeeping, which counts reads too.
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("list tables");
        for table in tables {
            let mut statement = db
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("select");
            let columns = statement.column_count();
            let mut rows: Vec<String> = statement
                .query_map([], |row| {
                    Ok((0..columns)
                        .map(|i| format!("{:?}", row.get_ref(i)))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .and_then(|rows| rows.collect())
                .expect("rows");
            rows.sort();
            all.insert(format!("{}:{table}", file.display()), rows);
        }
    }
    all
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The differences between two D1 snapshots, table by table.
fn d1_diff(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut tables: Vec<&String> = before.keys().chain(after.keys()).collect();
    tables.sort();
    tables.dedup();
    let empty = Vec::new();
    tables
        .into_iter()
        .filter_map(|t| {
            let (b, a) = (
                before.get(t).unwrap_or(&empty),
                after.get(t).unwrap_or(&empty),
            );
            (a != b).then(|| {
                let added: Vec<&String> = a.iter().filter(|r| !b.contains(r)).collect();
                let removed: Vec<&String> = b.iter().filter(|r| !a.contains(r)).collect();
                let table = t.rsplit(':').next().unwrap_or(t);
                shorten(&format!("D1 {table}: added {added:?}, removed {removed:?}"))
            })
        })
        .collect()
}

/// An incident as its tenant sees it: state and timeline events (delivery bookkeeping left
/// out: it moves on asynchronously).
fn fingerprint(worker: &LocalWorker, tenant: &str, id: &str) -> Value {
    let reply = worker
        .client(tenant)
        .get(&format!("/dashboard/incidents/{id}"))
        .expect("GET incident");
    let timeline: Vec<Value> = reply.body["timeline"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| json!([e["event_id"], e["event_type"], e["data"], e["actor"]]))
        .collect();
    let i = &reply.body["incident"];
    json!({
        "status": reply.status,
        "incident": [i["status"], i["severity"], i["assignee"], i["title"], i["last_event_id"]],
        "timeline": timeline,
    })
}

/// Calls incidentd made to Slack, except the OAuth code exchange (a refused code is one).
fn slack_calls(slack: &FakeSlack) -> usize {
    slack
        .calls()
        .iter()
        .filter(|c| c.method != "oauth.v2.access")
        .count()
}

struct Watch<'a> {
    worker: &'a LocalWorker,
    slack: &'a FakeSlack,
    incidents: Vec<(&'static str, String)>,
}

#[derive(PartialEq)]
struct Snapshot {
    objects: usize,
    d1: BTreeMap<String, Vec<String>>,
    incidents: Vec<Value>,
    slack_calls: usize,
}

impl Watch<'_> {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            objects: self.worker.durable_object_count(),
            d1: d1_rows(&self.worker.state_dir),
            incidents: self
                .incidents
                .iter()
                .map(|(tenant, id)| fingerprint(self.worker, tenant, id))
                .collect(),
            slack_calls: slack_calls(self.slack),
        }
    }

    fn changes(&self, before: &Snapshot, after: &Snapshot) -> Vec<String> {
        let mut changes = Vec::new();
        if after.objects != before.objects {
            changes.push(format!(
                "Durable Objects with storage: {} before, {} after",
                before.objects, after.objects
            ));
        }
        changes.extend(d1_diff(&before.d1, &after.d1));
        for (((tenant, id), b), a) in self
            .incidents
            .iter()
            .zip(&before.incidents)
            .zip(&after.incidents)
        {
            if a != b {
                changes.push(shorten(&format!(
                    "incident {id} ({tenant}) changed: {b} → {a}"
                )));
            }
        }
        if after.slack_calls != before.slack_calls {
            changes.push(format!(
                "Slack calls: {} before, {} after",
                before.slack_calls, after.slack_calls
            ));
        }
        changes
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 400 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(399).collect();
    format!("{cut}…")
}

// ---------------------------------------------------------------------------------------------
// Bodies.
// ---------------------------------------------------------------------------------------------

/// `depth` nested arrays around `inner`: far past serde_json's recursion limit when deep.
fn nested(depth: usize, inner: &str) -> Vec<u8> {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}

fn nested_object(key: &str, depth: usize) -> Vec<u8> {
    let mut text = String::from("{");
    text.push_str(&format!("\"{key}\":"));
    text.push_str(&"{\"a\":".repeat(depth));
    text.push('1');
    text.push_str(&"}".repeat(depth));
    text.push('}');
    text.into_bytes()
}

/// Valid JSON text followed by bytes that are not UTF-8.
fn invalid_utf8(json_prefix: &str) -> Vec<u8> {
    let mut body = json_prefix.as_bytes().to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    body.extend_from_slice(b"\"}");
    body
}

fn big(bytes: usize) -> Vec<u8> {
    let mut body = br#"{"x":""#.to_vec();
    body.resize(bytes - 2, b'a');
    body.extend_from_slice(br#""}"#);
    body
}

fn interaction_form(payload: &Value) -> Vec<u8> {
    incidentctl::slack::form(&[("payload", &payload.to_string())])
}

fn workspace() -> Workspace<'static> {
    Workspace {
        team_id: FAKE_TEAM_ID,
        app_id: FAKE_APP_ID,
    }
}

fn status_submission(incident_id: &str, message: &str) -> Value {
    let context = json!({ "incident_id": incident_id, "status": "mitigating" }).to_string();
    json!({
        "type": "view_submission", "user": { "id": "U0MALLORY" }, "team": { "id": FAKE_TEAM_ID },
        "api_app_id": FAKE_APP_ID,
        "view": {
            "id": "V0HOSTILE", "callback_id": ids::STATUS_MODAL, "private_metadata": context,
            "state": { "values": { ids::STATUS_MESSAGE_BLOCK: {
                ids::STATUS_MESSAGE_INPUT: { "type": "plain_text_input", "value": message }
            } } }
        }
    })
}

/// Posts a Slack request signed now and returns the answer and the headers it carried.
fn send_slack(worker: &LocalWorker, request: &SlackRequest) -> (Answer, Vec<(String, String)>) {
    let mut headers = slack_headers(&Slack::Valid, &request.body);
    headers.push(("content-type".into(), request.content_type.into()));
    let answer = send_exact(
        worker.port,
        "POST",
        request.path.as_bytes(),
        &headers,
        &request.body,
    )
    .expect("answered");
    (answer, headers)
}

/// Sends a dashboard request signed for `tenant`; returns the answer and the headers.
fn send_dashboard(
    worker: &LocalWorker,
    tenant: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (Answer, Vec<(String, String)>) {
    let body = body.to_string().into_bytes();
    let mut headers = dashboard_headers(tenant, 0, method, path.as_bytes(), &body);
    headers.push(("content-type".into(), JSON.into()));
    let answer =
        send_exact(worker.port, method, path.as_bytes(), &headers, &body).expect("answered");
    (answer, headers)
}

fn admin(worker: &LocalWorker, method: &str, path: &str, body: &Value) -> Answer {
    send_exact(
        worker.port,
        method,
        path.as_bytes(),
        &[
            ("authorization".into(), format!("Bearer {ADMIN_TOKEN}")),
            ("content-type".into(), JSON.into()),
        ],
        body.to_string().as_bytes(),
    )
    .expect("answered")
}

/// Waits until nothing changes any more for 3 s (the set-up's asynchronous effects are done).
fn settle(watch: &Watch) {
    let mut last = watch.snapshot();
    let mut stable_since = std::time::Instant::now();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let mut moving = Vec::new();
    while std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let now = watch.snapshot();
        if now == last {
            if stable_since.elapsed() >= Duration::from_secs(3) {
                return;
            }
        } else {
            moving = watch.changes(&last, &now);
            last = now;
            stable_since = std::time::Instant::now();
        }
    }
    panic!("the set-up never settled; still changing: {moving:#?}");
}

#[test]
fn hostile_requests_on_every_route_get_their_documented_answer_and_write_nothing() {
    let slack = FakeSlack::start();
    let general = slack.add_channel("general");
    let api_url = slack.api_url();
    let worker = LocalWorker::start_with_secrets(
        "hostile-input",
        &[
            ("SLACK_API_URL", api_url.as_str()),
            ("SLACK_CLIENT_ID", CLIENT_ID),
            (
                "SLACK_OAUTH_AUTHORIZE_URL",
                "https://slack.test/oauth/v2/authorize",
            ),
        ],
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("SLACK_CLIENT_SECRET", CLIENT_SECRET),
            ("SLACK_STATE_SECRET", STATE_SECRET),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    );

    // ---- Set-up -------------------------------------------------------------------------
    let created = admin(
        &worker,
        "POST",
        "/admin/tenants",
        &json!({ "id": OTHER, "name": "Other" }),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let rotation = json!({ "members": ["alice", "bob"], "shift_hours": 24, "handoff_time": "09:00",
                           "time_zone": "UTC", "starts_on": "2026-01-01" });
    let put = admin(
        &worker,
        "PUT",
        "/admin/tenants/demo/rotations/primary",
        &rotation,
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(connect(&worker, ADMIN_TOKEN).status, 201);

    let open = create_incident(&worker.client("demo"), "hostile: the open incident");
    let foreign = create_incident(&worker.client(OTHER), "hostile: another tenant's incident");
    let incident = |id: &str, rest: &str| format!("/dashboard/incidents/{id}{rest}");

    // Accepted requests whose headers the table replays.
    let (prompted, prompt_headers) = send_dashboard(
        &worker,
        "demo",
        "POST",
        &incident(&open, "/prompts"),
        &json!({ "prompt": "what changed?", "prompt_id": "p-setup" }),
    );
    assert_eq!(prompted.status, 201, "{}", prompted.text());
    let prompt_body = json!({ "prompt": "what changed?", "prompt_id": "p-setup" }).to_string();
    let mention_event = new_mention(&slack, &general, "Ev0HOSTILE1", "checkout is down");
    let mention_request = SlackRequest::event(&mention_event);
    let (mentioned, mention_headers) = send_slack(&worker, &mention_request);
    assert_eq!(mentioned.status, 200, "{}", mentioned.text());
    let select = severity_selected(workspace(), "U0ALICE", &open, Severity::High, "trig-setup");
    let (selected, select_headers) = send_slack(&worker, &select);
    assert_eq!(selected.status, 200, "{}", selected.text());
    let command = slash_command(
        workspace(),
        "U0ALICE",
        &general,
        "/incident db is slow",
        "trig-cmd-setup",
    );
    let (commanded, command_headers) = send_slack(&worker, &command);
    assert_eq!(commanded.status, 200, "{}", commanded.text());

    // An install link's state, to tamper with.
    let install = send_exact(
        worker.port,
        "GET",
        b"/slack/install?tenant=demo",
        &[("authorization".into(), format!("Bearer {ADMIN_TOKEN}"))],
        b"",
    )
    .unwrap();
    assert_eq!(install.status, 302, "{}", install.text());
    let link = install.json()["authorize_url"].as_str().unwrap().to_owned();
    let state = form_urlencoded::parse(link.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let parts: Vec<&str> = state.split('.').collect();
    assert_eq!(parts.len(), 5, "state {state}");
    let with_part = |index: usize, value: &str| {
        let mut p: Vec<String> = parts.iter().map(ToString::to_string).collect();
        p[index] = value.to_owned();
        p.join(".")
    };
    let other_tenant_b64 = base64_url(OTHER);
    let callback = |query: &str| format!("/slack/oauth/callback?{query}");
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    let watch = Watch {
        worker: &worker,
        slack: &slack,
        incidents: vec![("demo", open.clone()), (OTHER, foreign.clone())],
    };
    settle(&watch);

    // ---- The table ----------------------------------------------------------------------
    let good_mention = mention(
        FAKE_TEAM_ID,
        "Ev0HOSTILE2",
        &general,
        "2.0",
        "<@UFAKEBOT> db down",
    )
    .to_string();
    let severity_form = select.body.clone();
    let declare_form = slash_command(
        workspace(),
        "U0ALICE",
        &general,
        "/incident hostile",
        "trig-h1",
    )
    .body;
    let mut cases: Vec<Case> = Vec::new();

    // -- Signatures: the same ways wrong on each of Slack's three routes (each body would
    // write if it were accepted: a declaration, a severity change, a declaration).
    for (path, body, content_type) in [
        (EVENTS_PATH, good_mention.as_bytes().to_vec(), JSON),
        (INTERACTIONS_PATH, severity_form.clone(), FORM),
        (COMMANDS_PATH, declare_form.clone(), FORM),
    ] {
        let route = path;
        for (name, how) in [
            ("no signature headers", Slack::Missing),
            ("no timestamp", Slack::NoTimestamp),
            ("no signature", Slack::NoSignature),
            ("empty signature", Slack::EmptySignature),
            ("version prefix v1", Slack::Version("v1")),
            ("version prefix V0", Slack::Version("V0")),
            ("no version prefix", Slack::NoPrefix),
            ("another secret", Slack::OtherSecret),
            ("truncated", Slack::Truncated),
            ("non-hex digits", Slack::NonHex),
            ("timestamp 301 s old", Slack::At(-301)),
            ("timestamp a day old", Slack::At(-86_400)),
            ("timestamp 303 s ahead", Slack::At(AHEAD)),
            ("timestamp not a number", Slack::TimestampText),
            ("signed for another body", Slack::ForOtherBody),
            ("signed at another timestamp", Slack::ForOtherTimestamp),
        ] {
            cases.push(
                Case::new(route, name, "POST", path)
                    .body(&body, content_type)
                    .auth(Auth::Slack(how))
                    .error(401, "UNAUTHORIZED"),
            );
        }
        // Past Slack's 256 KiB: refused before the signature is even checked.
        cases.push(
            Case::new(route, "body over 256 KiB, signed", "POST", path)
                .body(big(256 * 1024 + 1), content_type)
                .auth(Auth::Slack(Slack::Valid))
                .error(413, "PAYLOAD_TOO_LARGE"),
        );
        cases.push(
            Case::new(route, "body of 2 MiB, unsigned", "POST", path)
                .body(big(2 * 1024 * 1024), content_type)
                .error(413, "PAYLOAD_TOO_LARGE"),
        );
        cases.push(Case::new(route, "GET", "GET", path).error(405, "METHOD_NOT_ALLOWED"));
        cases.push(
            Case::new(route, "PUT, signed", "PUT", path)
                .body(&body, content_type)
                .auth(Auth::Slack(Slack::Valid))
                .error(405, "METHOD_NOT_ALLOWED"),
        );
    }

    // -- /slack/events: signed, but not an event Slack sends.
    let r = EVENTS_PATH;
    let s = || Auth::Slack(Slack::Valid);
    cases.extend([
        Case::new(r, "not JSON", "POST", r)
            .body("event=1", JSON)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "empty body", "POST", r)
            .body("", JSON)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "invalid UTF-8", "POST", r)
            .body(
                invalid_utf8(r#"{"type":"url_verification","challenge":""#),
                JSON,
            )
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "arrays nested 100,000 deep", "POST", r)
            .body(nested(100_000, "1"), JSON)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "objects nested 5,000 deep in the event", "POST", r)
            .body(nested_object("event", 5_000), JSON)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "a form body (wrong content type)", "POST", r)
            .body(&declare_form, FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "event_callback without its event", "POST", r)
            .body(
                json!({ "type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A1",
                          "event_id": "Ev0X", "event_time": 1 })
                .to_string(),
                JSON,
            )
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(
            r,
            "a mention from a workspace no tenant connected",
            "POST",
            r,
        )
        .body(
            mention(
                "T0STRANGER",
                "Ev0STRANGER",
                &general,
                "3.0",
                "<@UFAKEBOT> db down",
            )
            .to_string(),
            JSON,
        )
        .auth(s())
        .status(200),
        Case::new(
            r,
            "a mention of another workspace's bot id in ours, 100 KiB of text",
            "POST",
            r,
        )
        .body(
            mention(
                FAKE_TEAM_ID,
                "Ev0LONG",
                "C0NOWHERE",
                "4.0",
                &"x".repeat(100 * 1024),
            )
            .to_string(),
            JSON,
        )
        .auth(s())
        .status(200),
        Case::new(
            r,
            "replay of the accepted mention (same headers, same body)",
            "POST",
            r,
        )
        .body(&mention_request.body, JSON)
        .auth(Auth::Captured(mention_headers.clone()))
        .status(200),
    ]);

    // -- /slack/interactions.
    let r = INTERACTIONS_PATH;
    let mut nested_payload = b"payload=".to_vec();
    nested_payload.extend(
        form_urlencoded::byte_serialize(&nested(20_000, "1"))
            .flat_map(|s| s.bytes().collect::<Vec<_>>()),
    );
    cases.extend([
        Case::new(r, "no payload field", "POST", r)
            .body("token=x", FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "payload not JSON", "POST", r)
            .body("payload=%7Bnope", FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "payload of invalid UTF-8", "POST", r)
            .body("payload=%7B%22type%22%3A%22block_actions%22%FF%FE%7D", FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        // Form decoding is lossy: the payload is JSON of an unknown type, ignored with a 200.
        Case::new(r, "raw invalid UTF-8 body", "POST", r)
            .body(invalid_utf8("payload={\"type\":\""), FORM)
            .auth(s())
            .status(200),
        Case::new(r, "payload nested 20,000 deep", "POST", r)
            .body(&nested_payload, FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "a JSON body (wrong content type)", "POST", r)
            .body(json!({ "type": "block_actions" }).to_string(), JSON)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(
            r,
            "severity select naming another tenant's incident",
            "POST",
            r,
        )
        .body(
            severity_selected(workspace(), "U0MALLORY", &foreign, Severity::Low, "trig-h2").body,
            FORM,
        )
        .auth(s())
        .status(200),
        Case::new(
            r,
            "severity select naming a malformed incident id",
            "POST",
            r,
        )
        .body(
            severity_selected(
                workspace(),
                "U0MALLORY",
                "../../admin",
                Severity::Low,
                "trig-h3",
            )
            .body,
            FORM,
        )
        .auth(s())
        .status(200),
        Case::new(r, "severity select naming a 100 KiB incident id", "POST", r)
            .body(
                severity_selected(
                    workspace(),
                    "U0MALLORY",
                    &"f".repeat(100 * 1024),
                    Severity::Low,
                    "trig-h4",
                )
                .body,
                FORM,
            )
            .auth(s())
            .status(200),
        Case::new(
            r,
            "severity select from a workspace no tenant connected",
            "POST",
            r,
        )
        .body(
            severity_selected(
                Workspace {
                    team_id: "T0STRANGER",
                    app_id: "A0",
                },
                "U0MALLORY",
                &open,
                Severity::Low,
                "trig-h5",
            )
            .body,
            FORM,
        )
        .auth(s())
        .status(200),
        Case::new(
            r,
            "status modal submitted for another tenant's incident",
            "POST",
            r,
        )
        .body(
            interaction_form(&status_submission(&foreign, "taking it over")),
            FORM,
        )
        .auth(s())
        .says(200, "response_action"),
        Case::new(r, "status modal submitted with an empty message", "POST", r)
            .body(interaction_form(&status_submission(&open, "   ")), FORM)
            .auth(s())
            .says(200, "response_action"),
        Case::new(r, "replay of the accepted severity select", "POST", r)
            .body(&select.body, FORM)
            .auth(Auth::Captured(select_headers.clone()))
            .status(200),
    ]);

    // -- /slack/commands.
    let r = COMMANDS_PATH;
    let strange = slash_command(
        Workspace {
            team_id: "T0STRANGER",
            app_id: "A0",
        },
        "U0MALLORY",
        &general,
        "/incident db",
        "trig-h6",
    )
    .body;
    let no_trigger = slash_command(workspace(), "U0ALICE", &general, "/incident hostile", "").body;
    cases.extend([
        Case::new(r, "no fields", "POST", r)
            .body("", FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "team_id missing", "POST", r)
            .body("command=%2Fincident&text=db&channel_id=C1&user_id=U1", FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "a JSON body (wrong content type)", "POST", r)
            .body(
                json!({ "command": "/incident", "text": "db" }).to_string(),
                JSON,
            )
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "a declaration without a trigger id", "POST", r)
            .body(&no_trigger, FORM)
            .auth(s())
            .error(400, "INVALID_BODY"),
        Case::new(r, "invalid UTF-8 in the text", "POST", r)
            .body(
                slash_command(
                    workspace(),
                    "U0ALICE",
                    &general,
                    "/incident status",
                    "trig-h7",
                )
                .body
                .into_iter()
                .chain(b"&text=%FF%FE".iter().copied())
                .collect::<Vec<u8>>(),
                FORM,
            )
            .auth(s())
            .status(200),
        Case::new(r, "a workspace no tenant connected", "POST", r)
            .body(&strange, FORM)
            .auth(s())
            .says(200, "not connected"),
        Case::new(r, "replay of the accepted declaration", "POST", r)
            .body(&command.body, FORM)
            .auth(Auth::Captured(command_headers.clone()))
            .status(200),
    ]);

    // -- POST /admin/slack/installations (operator).
    let r = "/admin/slack/installations";
    let install_body = |tenant: &str, team: &str| {
        json!({ "tenant": tenant, "team_id": team, "bot_user_id": "U0BOT", "bot_token": "xoxb-hostile" }).to_string()
    };
    let good = install_body("demo", FAKE_TEAM_ID);
    for (name, authorization) in [
        ("no authorization", None),
        ("another token", Some("Bearer not-the-token".to_owned())),
        ("lower-case scheme", Some(format!("bearer {ADMIN_TOKEN}"))),
        ("Basic scheme", Some(format!("Basic {ADMIN_TOKEN}"))),
        (
            "token with a suffix",
            Some(format!("Bearer {ADMIN_TOKEN}x")),
        ),
        (
            "truncated token",
            Some(format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])),
        ),
        ("empty bearer", Some("Bearer ".to_owned())),
        (
            "the Slack signing secret",
            Some(format!("Bearer {SIGNING_SECRET}")),
        ),
    ] {
        cases.push(
            Case::new(r, name, "POST", r)
                .body(&good, JSON)
                .auth(authorization.map(Auth::Authorization).unwrap_or(Auth::None))
                .error(401, "UNAUTHORIZED"),
        );
    }
    cases.extend([
        Case::new(r, "a dashboard signature instead of the token", "POST", r)
            .body(&good, JSON).auth(signed("demo")).error(401, "UNAUTHORIZED"),
        Case::new(r, "not JSON", "POST", r).body("tenant=demo", FORM).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "invalid UTF-8", "POST", r).body(invalid_utf8(r#"{"tenant":""#), JSON).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "nested 100,000 deep", "POST", r).body(nested(100_000, "1"), JSON).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "body over 256 KiB", "POST", r).body(big(256 * 1024 + 1), JSON).auth(operator()).error(413, "PAYLOAD_TOO_LARGE"),
        Case::new(r, "a team id that is not Slack's", "POST", r)
            .body(install_body("demo", "../T0"), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "a bot token that is not a bot token", "POST", r)
            .body(json!({ "tenant": "demo", "team_id": FAKE_TEAM_ID, "bot_user_id": "U0BOT", "bot_token": "xoxp-user" }).to_string(), JSON)
            .auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "an unknown tenant", "POST", r)
            .body(install_body("nobody", "T0NEW"), JSON).auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "a 10,000-character tenant", "POST", r)
            .body(install_body(&"t".repeat(10_000), "T0NEW"), JSON).auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "demo's workspace for another tenant", "POST", r)
            .body(install_body(OTHER, FAKE_TEAM_ID), JSON).auth(operator()).error(409, "CONFLICT"),
        // GET lists the installations (operator only); nothing deletes the collection.
        Case::new(r, "GET without the token", "GET", r).error(401, "UNAUTHORIZED"),
        Case::new(r, "DELETE", "DELETE", r).auth(operator()).error(405, "METHOD_NOT_ALLOWED"),
    ]);

    // -- GET /slack/install (operator) and GET /slack/oauth/callback (the browser).
    let r = "/slack/install";
    cases.extend([
        Case::new(r, "no authorization", "GET", "/slack/install?tenant=demo")
            .error(401, "UNAUTHORIZED"),
        Case::new(r, "another token", "GET", "/slack/install?tenant=demo")
            .auth(bearer("nope"))
            .error(401, "UNAUTHORIZED"),
        Case::new(
            r,
            "the state secret as the token",
            "GET",
            "/slack/install?tenant=demo",
        )
        .auth(bearer(STATE_SECRET))
        .error(401, "UNAUTHORIZED"),
        Case::new(r, "no tenant", "GET", "/slack/install")
            .auth(operator())
            .error(400, "INVALID_INPUT"),
        Case::new(
            r,
            "an unknown tenant",
            "GET",
            "/slack/install?tenant=nobody",
        )
        .auth(operator())
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "tenant ../demo",
            "GET",
            "/slack/install?tenant=..%2Fdemo",
        )
        .auth(operator())
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "a 10,000-character tenant",
            "GET",
            format!("/slack/install?tenant={}", "t".repeat(10_000)),
        )
        .auth(operator())
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "tenant of invalid UTF-8",
            "GET",
            "/slack/install?tenant=%FF%FE",
        )
        .auth(operator())
        .error(404, "NOT_FOUND"),
        Case::new(r, "POST", "POST", "/slack/install?tenant=demo")
            .auth(operator())
            .error(405, "METHOD_NOT_ALLOWED"),
    ]);
    let r = "/slack/oauth/callback";
    let code = incidentd_testkit::FAKE_OAUTH_CODE;
    let tampered_mac = {
        let mac = parts[4];
        let flipped = if mac.starts_with('0') { "1" } else { "0" };
        with_part(4, &format!("{flipped}{}", &mac[1..]))
    };
    cases.extend([
        Case::new(r, "no query", "GET", callback("")).says(400, "Slack"),
        Case::new(r, "no state", "GET", callback(&format!("code={code}"))).says(400, "Slack"),
        Case::new(
            r,
            "no code",
            "GET",
            callback(&format!("state={}", enc(&state))),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state with its HMAC altered",
            "GET",
            callback(&format!("code={code}&state={}", enc(&tampered_mac))),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state moved to another tenant",
            "GET",
            callback(&format!(
                "code={code}&state={}",
                enc(&with_part(1, &other_tenant_b64))
            )),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state with a later expiry",
            "GET",
            callback(&format!(
                "code={code}&state={}",
                enc(&with_part(2, "99999999999"))
            )),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state truncated",
            "GET",
            callback(&format!(
                "code={code}&state={}",
                enc(&state[..state.len() - 3])
            )),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state of another version",
            "GET",
            callback(&format!("code={code}&state={}", enc(&with_part(0, "v2")))),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "a 10,000-character state",
            "GET",
            callback(&format!("code={code}&state={}", "v".repeat(10_000))),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "state of invalid UTF-8",
            "GET",
            callback(&format!("code={code}&state=%FF%FE.%C3%28")),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "a valid state with a code Slack refuses",
            "GET",
            callback(&format!("code=not-the-code&state={}", enc(&state))),
        )
        .says(400, "Slack"),
        Case::new(
            r,
            "the person cancelled",
            "GET",
            callback(&format!("error=access_denied&state={}", enc(&state))),
        )
        .says(200, "cancelled"),
        Case::new(
            r,
            "POST",
            "POST",
            callback(&format!("code={code}&state={}", enc(&state))),
        )
        .error(405, "METHOD_NOT_ALLOWED"),
    ]);

    // -- The admin API.
    let r = "/admin/tenants…";
    let service = json!({ "name": "Hostile", "public": true }).to_string();
    let override_body =
        json!({ "user": "mallory", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z" })
            .to_string();
    for (method, path, body) in [
        (
            "POST",
            "/admin/tenants".to_owned(),
            json!({ "id": "evil" }).to_string(),
        ),
        ("GET", "/admin/tenants/demo".to_owned(), String::new()),
        (
            "POST",
            "/admin/tenants/demo/signing-secret/rotate".to_owned(),
            "{}".to_owned(),
        ),
        (
            "PUT",
            "/admin/tenants/demo/status-page".to_owned(),
            json!({ "slug": "evil", "title": "x" }).to_string(),
        ),
        (
            "PUT",
            "/admin/tenants/demo/services/evil".to_owned(),
            service.clone(),
        ),
        (
            "DELETE",
            "/admin/tenants/demo/services/api".to_owned(),
            String::new(),
        ),
        (
            "PUT",
            "/admin/tenants/demo/rotations/evil".to_owned(),
            rotation.to_string(),
        ),
        (
            "POST",
            "/admin/tenants/demo/rotations/primary/overrides".to_owned(),
            override_body.clone(),
        ),
        (
            "PUT",
            "/admin/tenants/demo/entry-points/evil".to_owned(),
            json!({ "kind": "user", "assignee": "mallory", "prompt": "x", "fallback": true })
                .to_string(),
        ),
        (
            "DELETE",
            "/admin/tenants/demo/entry-points/payments-oncall".to_owned(),
            String::new(),
        ),
    ] {
        cases.push(
            Case::new(r, &format!("{method} {path}: no token"), method, &path)
                .body(&body, JSON)
                .error(401, "UNAUTHORIZED"),
        );
        cases.push(
            Case::new(
                r,
                &format!("{method} {path}: the dashboard secret as the token"),
                method,
                &path,
            )
            .body(&body, JSON)
            .auth(bearer(TEST_SECRET))
            .error(401, "UNAUTHORIZED"),
        );
    }
    cases.extend([
        Case::new(r, "create: dashboard signature instead of the token", "POST", "/admin/tenants")
            .body(json!({ "id": "evil" }).to_string(), JSON).auth(signed("demo")).error(401, "UNAUTHORIZED"),
        Case::new(r, "create: not JSON", "POST", "/admin/tenants").body("id=evil", FORM).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "create: invalid UTF-8", "POST", "/admin/tenants").body(invalid_utf8(r#"{"id":""#), JSON).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "create: nested 30,000 deep", "POST", "/admin/tenants").body(nested(30_000, "1"), JSON).auth(operator()).error(400, "INVALID_JSON"),
        Case::new(r, "create: an object nested 120 deep in a field", "POST", "/admin/tenants")
            .body(nested_object("name", 120), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "create: body over 64 KiB", "POST", "/admin/tenants").body(big(64 * 1024 + 1), JSON).auth(operator()).error(413, "PAYLOAD_TOO_LARGE"),
        Case::new(r, "create: id ../demo", "POST", "/admin/tenants").body(json!({ "id": "../demo" }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "create: id of 65 characters", "POST", "/admin/tenants").body(json!({ "id": "t".repeat(65) }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "create: an existing tenant", "POST", "/admin/tenants").body(json!({ "id": OTHER }).to_string(), JSON).auth(operator()).error(409, "TENANT_EXISTS"),
        Case::new(r, "show: an encoded slash in the id", "GET", "/admin/tenants/demo%2F..%2Fother-tenant").auth(operator()).error(422, "INVALID_INPUT"),
        // workerd resolves the encoded dot-dot: `/admin/`, no such route.
        Case::new(r, "show: an id of %2e%2e", "GET", "/admin/tenants/%2e%2e").auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "show: an id of invalid UTF-8", "GET", b"/admin/tenants/%FF%FE").auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "show: a raw invalid UTF-8 id", "GET", b"/admin/tenants/\xff\xfe").auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "show: an id of 10,000 characters", "GET", format!("/admin/tenants/{}", "t".repeat(10_000))).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "show: an unknown tenant", "GET", "/admin/tenants/nobody").auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "put service: an encoded slash in the service id", "PUT", "/admin/tenants/demo/services/api%2F..%2Fx")
            .body(&service, JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "put service: service id of 65 characters", "PUT", format!("/admin/tenants/demo/services/{}", "s".repeat(65)))
            .body(&service, JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "put service: unknown tenant", "PUT", "/admin/tenants/nobody/services/x")
            .body(&service, JSON).auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "put service: unknown field", "PUT", "/admin/tenants/demo/services/x")
            .body(json!({ "name": "x", "public": true, "owner": "mallory" }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "delete service: demo's service under another tenant", "DELETE", format!("/admin/tenants/{OTHER}/services/api"))
            .auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "override: demo's rotation under another tenant", "POST", format!("/admin/tenants/{OTHER}/rotations/primary/overrides"))
            .body(&override_body, JSON).auth(operator()).error(404, "NOT_FOUND"),
        Case::new(r, "entry point: demo's rotation under another tenant", "PUT", format!("/admin/tenants/{OTHER}/entry-points/x"))
            .body(json!({ "kind": "rotation", "rotation_id": "primary", "prompt": "x", "fallback": true }).to_string(), JSON)
            .auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "status page: demo's slug for another tenant", "PUT", format!("/admin/tenants/{OTHER}/status-page"))
            .body(json!({ "slug": "demo", "title": "Mine now" }).to_string(), JSON).auth(operator()).error(409, "SLUG_TAKEN"),
        Case::new(r, "status page: slug ../demo", "PUT", "/admin/tenants/demo/status-page")
            .body(json!({ "slug": "../demo", "title": "x" }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "rotate: grace of a year", "POST", "/admin/tenants/demo/signing-secret/rotate")
            .body(json!({ "grace_seconds": 31_536_000 }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "rotate: grace negative", "POST", "/admin/tenants/demo/signing-secret/rotate")
            .body(json!({ "grace_seconds": -1 }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "rotation: time zone not IANA", "PUT", "/admin/tenants/demo/rotations/x")
            .body(json!({ "members": ["a"], "shift_hours": 24, "handoff_time": "09:00", "time_zone": "../../etc/passwd",
                          "starts_on": "2026-01-01" }).to_string(), JSON).auth(operator()).error(422, "INVALID_INPUT"),
        Case::new(r, "DELETE the tenant", "DELETE", "/admin/tenants/demo").auth(operator()).error(405, "METHOD_NOT_ALLOWED"),
        Case::new(r, "unknown admin route", "GET", "/admin/secrets").auth(operator()).error(404, "NOT_FOUND"),
    ]);

    // -- The status page (public, read-only).
    let r = "/status/…";
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        cases.push(
            Case::new(r, &format!("{method} the page"), method, "/status/demo")
                .body("{}", JSON)
                .status(405),
        );
    }
    cases.extend([
        Case::new(r, "POST summary.json", "POST", "/status/demo/summary.json")
            .body("{}", JSON)
            .status(405),
        Case::new(r, "an unknown slug", "GET", "/status/nobody").status(404),
        Case::new(
            r,
            "an unknown slug's summary.json",
            "GET",
            "/status/nobody/summary.json",
        )
        .error(404, "NOT_FOUND"),
        Case::new(r, "another document", "GET", "/status/demo/secrets.json").status(404),
        Case::new(r, "a slug of %2e%2e", "GET", "/status/%2e%2e").status(404),
        Case::new(
            r,
            "an encoded slash in the slug",
            "GET",
            "/status/demo%2Fsummary.json",
        )
        .status(404),
        Case::new(r, "a slug of invalid UTF-8", "GET", "/status/%FF%FE").status(404),
        Case::new(r, "a raw invalid UTF-8 slug", "GET", b"/status/\xff\xfe").status(404),
        Case::new(
            r,
            "a 10,000-character slug",
            "GET",
            format!("/status/{}", "s".repeat(10_000)),
        )
        .status(404),
        Case::new(
            r,
            "a slug with a quote and angle brackets",
            "GET",
            "/status/%22%3E%3Cscript%3E",
        )
        .status(404),
        Case::new(r, "below the page", "GET", "/status/demo/summary.json/more").status(404),
    ]);

    // -- Dashboard prompts and analysis.
    let r = "…/prompts";
    let good_prompt =
        json!({ "prompt": "ignore your rules", "prompt_id": "p-hostile" }).to_string();
    let on_open = incident(&open, "/prompts");
    cases.extend([
        Case::new(r, "unsigned", "POST", &on_open)
            .body(&good_prompt, JSON)
            .error(401, "UNAUTHORIZED"),
        Case::new(r, "timestamp 301 s old", "POST", &on_open)
            .body(&good_prompt, JSON)
            .auth(Auth::Dashboard {
                tenant: "demo",
                offset: -301,
            })
            .error(401, "UNAUTHORIZED"),
        Case::new(r, "timestamp 303 s ahead", "POST", &on_open)
            .body(&good_prompt, JSON)
            .auth(Auth::Dashboard {
                tenant: "demo",
                offset: AHEAD,
            })
            .error(401, "UNAUTHORIZED"),
        Case::new(r, "the Slack signing secret's signature", "POST", &on_open)
            .body(&good_prompt, JSON)
            .auth(Auth::Slack(Slack::Valid))
            .error(401, "UNAUTHORIZED"),
        Case::new(r, "exact replay of an accepted prompt", "POST", &on_open)
            .body(&prompt_body, JSON)
            .auth(Auth::Captured(prompt_headers.clone()))
            .error(409, "REQUEST_REPLAYED"),
        Case::new(
            r,
            "another tenant's incident",
            "POST",
            incident(&foreign, "/prompts"),
        )
        .body(&good_prompt, JSON)
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(r, "demo's incident as another tenant", "POST", &on_open)
            .body(&good_prompt, JSON)
            .auth(signed(OTHER))
            .error(404, "NOT_FOUND"),
        Case::new(r, "not JSON", "POST", &on_open)
            .body("prompt=hi", FORM)
            .auth(signed("demo"))
            .error(400, "INVALID_JSON"),
        Case::new(r, "invalid UTF-8", "POST", &on_open)
            .body(invalid_utf8(r#"{"prompt_id":"p-u","prompt":""#), JSON)
            .auth(signed("demo"))
            .error(400, "INVALID_JSON"),
        Case::new(r, "nested 30,000 deep", "POST", &on_open)
            .body(nested(30_000, "1"), JSON)
            .auth(signed("demo"))
            .error(400, "INVALID_JSON"),
        Case::new(
            r,
            "an object nested 120 deep as the prompt",
            "POST",
            &on_open,
        )
        .body(nested_object("prompt", 120), JSON)
        .auth(signed("demo"))
        .error(422, "INVALID_INPUT"),
        Case::new(r, "body over 64 KiB", "POST", &on_open)
            .body(big(64 * 1024 + 1), JSON)
            .auth(signed("demo"))
            .error(413, "PAYLOAD_TOO_LARGE"),
        Case::new(r, "prompt_id missing", "POST", &on_open)
            .body(json!({ "prompt": "hi" }).to_string(), JSON)
            .auth(signed("demo"))
            .error(422, "INVALID_INPUT"),
        Case::new(r, "empty prompt", "POST", &on_open)
            .body(
                json!({ "prompt": " ", "prompt_id": "p-e" }).to_string(),
                JSON,
            )
            .auth(signed("demo"))
            .error(422, "INVALID_INPUT"),
        Case::new(r, "unknown field", "POST", &on_open)
            .body(
                json!({ "prompt": "hi", "prompt_id": "p-f", "as": "agent" }).to_string(),
                JSON,
            )
            .auth(signed("demo"))
            .error(422, "INVALID_INPUT"),
        Case::new(r, "GET", "GET", &on_open)
            .auth(signed("demo"))
            .error(405, "METHOD_NOT_ALLOWED"),
        // One segment `<id>%2Fprompts`: an incident's path, where POST is not allowed.
        Case::new(
            r,
            "an encoded slash before the route",
            "POST",
            format!("/dashboard/incidents/{open}%2Fprompts"),
        )
        .body(&good_prompt, JSON)
        .auth(signed("demo"))
        .error(405, "METHOD_NOT_ALLOWED"),
        Case::new(
            r,
            "a dot-dot segment from another tenant's incident",
            "POST",
            format!("/dashboard/incidents/{foreign}/%2e%2e/{open}/prompts"),
        )
        // workerd resolves the dot-dot, so the signed path is not the one served.
        .body(&good_prompt, JSON)
        .auth(signed(OTHER))
        .error(401, "UNAUTHORIZED"),
        Case::new(
            r,
            "an id of 10,000 characters",
            "POST",
            format!("/dashboard/incidents/{}/prompts", "a".repeat(10_000)),
        )
        .body(&good_prompt, JSON)
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "an id of invalid UTF-8",
            "POST",
            b"/dashboard/incidents/%FF%FE/prompts",
        )
        .body(&good_prompt, JSON)
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
    ]);
    let r = "…/analysis";
    cases.extend([
        Case::new(r, "unsigned", "GET", incident(&open, "/analysis")).error(401, "UNAUTHORIZED"),
        Case::new(
            r,
            "not analysed yet (open)",
            "GET",
            incident(&open, "/analysis"),
        )
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "another tenant's incident",
            "GET",
            incident(&foreign, "/analysis"),
        )
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "demo's incident as another tenant",
            "GET",
            incident(&open, "/analysis"),
        )
        .auth(signed(OTHER))
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "an id of 10,000 characters",
            "GET",
            format!("/dashboard/incidents/{}/analysis", "a".repeat(10_000)),
        )
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(
            r,
            "an id with SQL in it",
            "GET",
            "/dashboard/incidents/x'%20OR%20'1'='1/analysis",
        )
        .auth(signed("demo"))
        .error(404, "NOT_FOUND"),
        Case::new(r, "POST", "POST", incident(&open, "/analysis"))
            .body("{}", JSON)
            .auth(signed("demo"))
            .error(405, "METHOD_NOT_ALLOWED"),
    ]);

    // ---- Run ----------------------------------------------------------------------------
    let first = watch.snapshot();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        *counts.entry(case.route).or_default() += 1;
        let before = watch.snapshot();
        let started = std::time::Instant::now();
        let mut problems = Vec::new();
        match send_exact(
            worker.port,
            case.method,
            &case.target,
            &case.headers(),
            &case.body,
        ) {
            Err(e) => problems.push(format!("transport error: {e}")),
            Ok(answer) => problems.extend(case.problem(&answer)),
        }
        if started.elapsed() > Duration::from_secs(5) {
            problems.push(format!("answered after {:?}", started.elapsed()));
        }
        problems.extend(watch.changes(&before, &watch.snapshot()));
        if !problems.is_empty() {
            failures.push(format!(
                "[{}: {}] {} {}\n    {}",
                case.route,
                case.name,
                case.method,
                shorten(&String::from_utf8_lossy(&case.target)),
                problems.join("\n    ")
            ));
        }
    }
    // A wrongly accepted change may show late (queues, the index): look again.
    std::thread::sleep(Duration::from_secs(2));
    for change in watch.changes(&first, &watch.snapshot()) {
        failures.push(format!("[after the table] {change}"));
    }
    println!("hostile cases per route:");
    for (route, count) in &counts {
        println!("  {route}: {count}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n\n{}\n",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    println!("{} hostile cases passed", cases.len());
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
