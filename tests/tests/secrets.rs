//! No secret leaks: the worker starts with known, distinctive values for every secret it holds
//! (dashboard and Slack signing secrets, the Slack bot token it stores encrypted and the key it
//! encrypts with, the OAuth client and state secrets, the LLM API key, the operator token),
//! every feature runs (admin API, Slack OAuth install, mentions, commands, interactions, the
//! dashboard lifecycle, prompts, AI triage, agent turns and the post-incident analysis through
//! `FakeLlm`, the status page, the webhook sender to a `RecordingServer`), and once everything
//! has drained, everything observable is searched for each value: the workerd log (at level
//! `log`), every timeline, every API reply, the status page documents, and the raw bytes of
//! every file under the state directory (Durable Object SQLite files, D1, the Workflows
//! engine's storage: DO state, workflow payloads and outputs), except the harness's own
//! secrets file. Zero hits. The bot token and the LLM key must reach Slack and the model, in
//! the `Authorization` header and nowhere else; no other secret leaves the worker at all.

use incidentctl::slack::{severity_selected, slash_command, SlackRequest, Workspace};
use incidentctl::{Client, Credentials};
use incidentd_core::Severity;
use incidentd_e2e::slack::new_mention;
use incidentd_e2e::{poll, send_raw, LocalWorker};
use incidentd_testkit::{
    FakeLlm, FakeReply, FakeSlack, FAKE_APP_ID, FAKE_BOT_TOKEN, FAKE_OAUTH_CODE, FAKE_TEAM_ID,
};
use serde_json::{json, Value};
use sluice::native::RecordingServer;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DASHBOARD_SECRET: &str = "dash-SECRET-e2e-3f9a71c2";
const SLACK_SIGNING: &str = "slack-sign-SECRET-e2e-8b1d";
const CLIENT_SECRET: &str = "slack-client-SECRET-e2e-55ce";
const STATE_SECRET: &str = "slack-state-SECRET-e2e-a07f";
const OPERATOR_TOKEN: &str = "operator-SECRET-e2e-c3b2e9";
const LLM_KEY: &str = "sk-llm-SECRET-e2e-91d04e";
/// The token-encryption key: 32 distinctive bytes (sent base64, searched for in both forms).
const TOKEN_KEY_BYTES: &[u8; 32] = b"token-key-SECRET-e2e-32-bytes!!!";
const CLIENT_ID: &str = "1111.2222";

fn token_key() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(TOKEN_KEY_BYTES)
}

/// Every secret by name, with the byte strings that would betray it.
fn secrets() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let plain = |s: &str| vec![s.as_bytes().to_vec()];
    vec![
        ("DASHBOARD_SIGNING_SECRET", plain(DASHBOARD_SECRET)),
        ("SLACK_SIGNING_SECRET", plain(SLACK_SIGNING)),
        ("SLACK_CLIENT_SECRET", plain(CLIENT_SECRET)),
        ("SLACK_STATE_SECRET", plain(STATE_SECRET)),
        ("ADMIN_TOKEN", plain(OPERATOR_TOKEN)),
        ("LLM_API_KEY", plain(LLM_KEY)),
        (
            "SLACK_TOKEN_KEY",
            vec![token_key().into_bytes(), TOKEN_KEY_BYTES.to_vec()],
        ),
        ("the Slack bot token", plain(FAKE_BOT_TOKEN)),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The names of the secrets found in `bytes`.
fn found_in(bytes: &[u8]) -> Vec<&'static str> {
    secrets()
        .into_iter()
        .filter(|(_, forms)| forms.iter().any(|f| contains(bytes, f)))
        .map(|(name, _)| name)
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Everything said to the worker and everything it answered, kept for the search.
#[derive(Default)]
struct Observed {
    replies: Vec<(String, Vec<u8>)>,
}

impl Observed {
    fn keep(&mut self, what: impl Into<String>, body: impl Into<Vec<u8>>) {
        self.replies.push((what.into(), body.into()));
    }
}

struct Driver<'a> {
    worker: &'a LocalWorker,
    dashboard: Client,
    observed: Observed,
}

impl Driver<'_> {
    fn dash(&mut self, method: &str, path: &str, body: Value, status: u16) -> Value {
        let reply = match method {
            "GET" => self.dashboard.get(path),
            _ => self.dashboard.post(path, &body),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(reply.status, status, "{method} {path}: {:?}", reply.body);
        self.observed
            .keep(format!("{method} {path}"), reply.body.to_string());
        reply.body
    }

    fn admin(&mut self, method: &str, path: &str, body: Value, status: u16) -> Value {
        let reply = incidentctl::send_as_operator(
            &self.worker.base_url(),
            OPERATOR_TOKEN,
            method,
            path,
            body.to_string().as_bytes(),
        )
        .expect("answered");
        assert_eq!(reply.status, status, "{method} {path}: {:?}", reply.body);
        self.observed
            .keep(format!("{method} {path}"), reply.body.to_string());
        reply.body
    }

    fn slack(&mut self, request: &SlackRequest) -> Value {
        let headers = request.signed_headers(SLACK_SIGNING, incidentctl::now_secs());
        let (status, body) = send_raw(
            &self.worker.base_url(),
            "POST",
            request.path,
            &headers,
            &request.body,
        )
        .expect("answered");
        assert_eq!(status, 200, "{}: {body}", request.path);
        self.observed.keep(request.path, body.to_string());
        body
    }

    /// A GET as a browser makes it (no redirects followed): status and body.
    fn browse(&mut self, path: &str, bearer: Option<&str>) -> (u16, String) {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .redirects(0)
            .build();
        let mut request = agent.get(&format!("{}{path}", self.worker.base_url()));
        if let Some(token) = bearer {
            request = request.set("authorization", &format!("Bearer {token}"));
        }
        let response = match request.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = response.status();
        let mut headers = String::new();
        for name in response.headers_names() {
            headers.push_str(&format!("{name}: {:?}\n", response.header(&name)));
        }
        let body = response.into_string().unwrap_or_default();
        self.observed
            .keep(format!("GET {path}"), format!("{headers}\n{body}"));
        (status, body)
    }

    fn incident(&mut self, id: &str) -> Value {
        self.dash(
            "GET",
            &format!("/dashboard/incidents/{id}"),
            json!(null),
            200,
        )
    }
}

fn workspace() -> Workspace<'static> {
    Workspace {
        team_id: FAKE_TEAM_ID,
        app_id: FAKE_APP_ID,
    }
}

fn triage_answer() -> FakeReply {
    FakeReply::Json(json!({
        "entry_point": null, "severity": "medium",
        "title": "checkout returns 500", "description": "checkout returns 500"
    }))
}

fn review() -> FakeReply {
    FakeReply::Json(json!({
        "summary": "A deploy broke checkout; it was rolled back.",
        "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
        "root_cause": "a bad deploy", "impact": "checkout failed",
        "action_items": [{ "title": "add a canary", "owner": null }]
    }))
}

#[test]
fn no_secret_reaches_a_log_a_timeline_a_reply_or_the_state_directory() {
    let slack = FakeSlack::start();
    let general = slack.add_channel("general");
    let llm = FakeLlm::start(
        (0..80)
            .map(|_| FakeReply::Text("Checked: nothing to change.".into()))
            .collect(),
    );
    llm.script_schema(
        "incident_triage",
        (0..10).map(|_| triage_answer()).collect(),
    );
    llm.script_schema("postmortem", (0..10).map(|_| review()).collect());
    let webhook = RecordingServer::start(Vec::new());
    let (api_url, llm_url) = (slack.api_url(), llm.base_url());
    let key = token_key();
    let worker = LocalWorker::start_with_secrets(
        "secrets",
        &[
            ("SLACK_API_URL", api_url.as_str()),
            ("SLACK_CLIENT_ID", CLIENT_ID),
            (
                "SLACK_OAUTH_AUTHORIZE_URL",
                "https://slack.test/oauth/v2/authorize",
            ),
            ("LLM_BASE_URL", llm_url.as_str()),
            ("WEBHOOK_URL", webhook.url.as_str()),
        ],
        &[
            ("DASHBOARD_SIGNING_SECRET", DASHBOARD_SECRET),
            ("SLACK_SIGNING_SECRET", SLACK_SIGNING),
            ("SLACK_TOKEN_KEY", key.as_str()),
            ("SLACK_CLIENT_SECRET", CLIENT_SECRET),
            ("SLACK_STATE_SECRET", STATE_SECRET),
            ("ADMIN_TOKEN", OPERATOR_TOKEN),
            ("LLM_API_KEY", LLM_KEY),
        ],
    );
    let mut d = Driver {
        worker: &worker,
        dashboard: Client::new(Credentials {
            base_url: worker.base_url(),
            client_id: "demo".into(),
            user_id: "demo-user".into(),
            secret: DASHBOARD_SECRET.into(),
        }),
        observed: Observed::default(),
    };

    // ---- Admin API ----------------------------------------------------------------------
    d.admin(
        "POST",
        "/admin/tenants",
        json!({ "id": "acme", "name": "Acme" }),
        201,
    );
    d.admin(
        "PUT",
        "/admin/tenants/demo/services/search",
        json!({ "name": "Search", "public": true }),
        200,
    );
    d.admin(
        "PUT",
        "/admin/tenants/demo/rotations/primary",
        json!({ "members": ["alice", "bob"], "shift_hours": 24, "handoff_time": "09:00",
                "time_zone": "UTC", "starts_on": "2026-01-01" }),
        200,
    );
    d.admin(
        "POST",
        "/admin/tenants/demo/rotations/primary/overrides",
        json!({ "user": "carol", "from": "2026-01-01T00:00:00Z", "to": "2036-01-01T00:00:00Z" }),
        201,
    );
    d.admin(
        "PUT",
        "/admin/tenants/demo/entry-points/search-oncall",
        json!({ "kind": "rotation", "rotation_id": "primary", "prompt": "Search", "fallback": false }),
        200,
    );
    d.admin("GET", "/admin/tenants/demo", json!(null), 200);
    // A refused operator token is answered without echoing anything.
    let refused = incidentctl::send_as_operator(
        &worker.base_url(),
        &format!("{OPERATOR_TOKEN}x"),
        "GET",
        "/admin/tenants/demo",
        b"",
    )
    .unwrap();
    assert_eq!(refused.status, 401);
    d.observed
        .keep("refused operator", refused.body.to_string());

    // ---- Slack OAuth install (stores the bot token, encrypted) --------------------------
    let (status, body) = d.browse("/slack/install?tenant=demo", Some(OPERATOR_TOKEN));
    assert_eq!(status, 302, "{body}");
    let link: Value = serde_json::from_str(&body).expect("the link as JSON");
    let link = link["authorize_url"].as_str().unwrap().to_owned();
    let state = form_urlencoded::parse(link.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", FAKE_OAUTH_CODE)
        .append_pair("state", &state)
        .finish();
    let (status, page) = d.browse(&format!("/slack/oauth/callback?{query}"), None);
    assert_eq!(status, 200, "{page}");
    // A refused exchange too (its error page).
    let bad = query.replace(FAKE_OAUTH_CODE, "not-the-code");
    assert_eq!(
        d.browse(&format!("/slack/oauth/callback?{bad}"), None).0,
        400
    );

    // ---- Slack: a mention declares (AI triage), commands, an interaction, a prompt ------
    let event = new_mention(&slack, &general, "Ev0SECRET1", "checkout is failing");
    d.slack(&SlackRequest::event(&event));
    let slack_incident = poll(Duration::from_secs(60), || {
        let list = d.dashboard.get("/dashboard/incidents").ok()?;
        list.body["incidents"].as_array()?.first()?["id"]
            .as_str()
            .map(str::to_owned)
    })
    .unwrap_or_else(|| panic!("no incident from the mention; log:\n{}", worker.log()));
    let channel = poll(Duration::from_secs(60), || {
        let shown = d
            .dashboard
            .get(&format!("/dashboard/incidents/{slack_incident}"))
            .ok()?;
        let metadata = &shown.body["incident"]["metadata"];
        metadata["slack_announcement_ts"].as_str()?;
        metadata["slack_channel"].as_str().map(str::to_owned)
    })
    .unwrap_or_else(|| panic!("no incident channel; log:\n{}", worker.log()));
    d.slack(&slash_command(
        workspace(),
        "U0ALICE",
        &channel,
        "/incident status",
        "trig-s1",
    ));
    d.slack(&slash_command(
        workspace(),
        "U0ALICE",
        &general,
        "/incident search is slow",
        "trig-s2",
    ));
    d.slack(&severity_selected(
        workspace(),
        "U0ALICE",
        &slack_incident,
        Severity::High,
        "trig-s3",
    ));
    let prompt = new_mention(
        &slack,
        &channel,
        "Ev0SECRET2",
        "what changed in the last hour?",
    );
    d.slack(&SlackRequest::event(&prompt));

    // ---- Dashboard lifecycle: prompt, affection (status page), resolve → analysis --------
    let created = d.dash(
        "POST",
        "/dashboard/incidents",
        json!({ "prompt": "payments API returns 502", "idempotency_key": "secrets-1" }),
        201,
    );
    let id = created["incident"]["id"].as_str().unwrap().to_owned();
    let path = |rest: &str| format!("/dashboard/incidents/{id}{rest}");
    d.dash(
        "POST",
        &path("/severity"),
        json!({ "severity": "high" }),
        200,
    );
    d.dash(
        "POST",
        &path("/assignee"),
        json!({ "assignee": "bob" }),
        200,
    );
    d.dash(
        "POST",
        &path("/messages"),
        json!({ "message": "rolling back", "message_id": "m1" }),
        201,
    );
    d.dash(
        "POST",
        &path("/prompts"),
        json!({ "prompt": "summarise", "prompt_id": "p1" }),
        201,
    );
    d.dash(
        "POST",
        &path("/affection"),
        json!({ "title": "Payments degraded", "services": [{ "id": "payments", "impact": "major" }],
                "message": "Investigating" }),
        201,
    );
    d.dash(
        "POST",
        &path("/affection/updates"),
        json!({ "message": "Fix rolling out", "status": "mitigating" }),
        200,
    );
    d.dash("GET", "/dashboard/incidents", json!(null), 200);
    d.dash("GET", &path("/workflow"), json!(null), 200);
    d.dash("GET", &path("/dead-letters"), json!(null), 200);
    d.dash("GET", &path("/failed-effects"), json!(null), 200);
    // Let the agent answer both prompts before the incidents close.
    poll(Duration::from_secs(60), || {
        let agent_messages = |incident: &str| {
            d.dashboard
                .get(&format!("/dashboard/incidents/{incident}"))
                .ok()
                .and_then(|r| r.body["timeline"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter(|e| e["event_type"] == "MESSAGE_ADDED" && e["actor"]["kind"] == "agent")
                .count()
        };
        (agent_messages(&id) >= 1 && agent_messages(&slack_incident) >= 1).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "the agent did not answer both prompts; log:\n{}",
            worker.log()
        )
    });
    d.dash(
        "POST",
        &path("/status"),
        json!({ "status": "resolved", "message": "rolled back" }),
        200,
    );
    d.dash(
        "POST",
        &format!("/dashboard/incidents/{slack_incident}/status"),
        json!({ "status": "resolved", "message": "fixed" }),
        200,
    );

    // ---- Drain: both analysed (so archived), the webhook and Slack quiet -----------------
    for incident in [&id, &slack_incident] {
        let analysed = poll(Duration::from_secs(90), || {
            let reply = d
                .dashboard
                .get(&format!("/dashboard/incidents/{incident}/analysis"))
                .ok()?;
            (reply.status == 200).then_some(reply.body)
        })
        .unwrap_or_else(|| panic!("{incident} was not analysed; log:\n{}", worker.log()));
        assert!(
            analysed["postmortem"].is_object(),
            "the model wrote it: {analysed}"
        );
        d.observed
            .keep(format!("analysis {incident}"), analysed.to_string());
    }
    let quiet = poll(Duration::from_secs(60), || {
        let before = (
            slack.calls().len(),
            webhook.requests().len(),
            llm.raw_requests().len(),
        );
        std::thread::sleep(Duration::from_secs(3));
        let after = (
            slack.calls().len(),
            webhook.requests().len(),
            llm.raw_requests().len(),
        );
        (before == after).then_some(())
    });
    assert!(quiet.is_some(), "the fakes never went quiet");

    // Every timeline, the list, the status page.
    let list = d.dash("GET", "/dashboard/incidents", json!(null), 200);
    let ids: Vec<String> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ids.len() >= 3,
        "the mention's, the command's and the dashboard's: {ids:?}"
    );
    for incident in &ids {
        let shown = d.incident(incident);
        assert!(shown["timeline"].as_array().is_some_and(|t| !t.is_empty()));
    }
    for page in [
        "/status/demo",
        "/status/demo/summary.json",
        "/status/demo/history.atom",
    ] {
        let (status, body) = d.browse(page, None);
        assert_eq!(status, 200, "{page}");
        // summary.json lists unresolved incidents only, as Statuspage's does.
        if !page.ends_with(".json") {
            assert!(
                body.contains("Payments degraded"),
                "{page} shows the affection"
            );
        }
    }
    std::thread::sleep(Duration::from_secs(2));

    // ---- The search ---------------------------------------------------------------------
    let mut leaks: Vec<String> = Vec::new();
    let log = worker.log();
    assert!(
        log.contains("slack events"),
        "the worker's own log lines are in the log"
    );
    for name in found_in(log.as_bytes()) {
        leaks.push(format!("{name} in the workerd log"));
    }
    for (what, body) in &d.observed.replies {
        for name in found_in(body) {
            leaks.push(format!("{name} in the reply to {what}"));
        }
    }
    let secrets_file = worker.state_dir.join("secrets.env");
    let mut files = Vec::new();
    files_under(&worker.state_dir, &mut files);
    let mut scanned = (0usize, 0u64);
    let mut kinds = std::collections::BTreeSet::new();
    let mut positive_control = (false, false);
    for file in files.iter().filter(|f| **f != secrets_file) {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        scanned.0 += 1;
        scanned.1 += bytes.len() as u64;
        let relative = file.strip_prefix(&worker.state_dir).unwrap_or(file);
        if let Some(kind) = relative.components().nth(1) {
            kinds.insert(kind.as_os_str().to_string_lossy().into_owned());
        }
        // Controls: the open incident's prompt in its object's file, the archived one's in D1.
        positive_control.0 |= relative.starts_with("v3/do") && contains(&bytes, b"search is slow");
        positive_control.1 |=
            relative.starts_with("v3/d1") && contains(&bytes, b"payments API returns 502");
        for name in found_in(&bytes) {
            leaks.push(format!("{name} in {}", relative.display()));
        }
    }
    assert_eq!(
        positive_control,
        (true, true),
        "the search reads raw bytes: known prompts are found in a DO file and in D1"
    );
    for kind in ["do", "d1", "workflows"] {
        assert!(
            kinds.contains(kind),
            "the state directory has {kind} storage: {kinds:?}"
        );
    }

    // What the fakes received: the bot token and the LLM key in Authorization only, no other
    // secret anywhere.
    let mut bot_token_sent = 0;
    for call in slack.calls() {
        let mut rest = Vec::new();
        for (name, value) in &call.headers {
            if name.eq_ignore_ascii_case("authorization") {
                let allowed_bearer = value == &format!("Bearer {FAKE_BOT_TOKEN}");
                let basic_exchange =
                    call.method == "oauth.v2.access" && value.starts_with("Basic ");
                if allowed_bearer {
                    bot_token_sent += 1;
                } else if !basic_exchange {
                    leaks.push(format!(
                        "Slack {}: unexpected authorization {value:?}",
                        call.method
                    ));
                }
                // The client secret goes to oauth.v2.access base64'd in Basic: allowed there.
                continue;
            }
            rest.extend_from_slice(format!("{name}: {value}\n").as_bytes());
        }
        rest.extend_from_slice(call.body.to_string().as_bytes());
        for name in found_in(&rest) {
            leaks.push(format!(
                "{name} sent to Slack ({}) outside Authorization",
                call.method
            ));
        }
    }
    assert!(bot_token_sent > 0, "the bot token was used");
    let mut llm_key_sent = 0;
    for request in llm.raw_requests() {
        let mut rest = Vec::new();
        for (name, value) in &request.headers {
            if name.eq_ignore_ascii_case("authorization") {
                if value == &format!("Bearer {LLM_KEY}") {
                    llm_key_sent += 1;
                } else {
                    leaks.push(format!("LLM: unexpected authorization {value:?}"));
                }
                continue;
            }
            rest.extend_from_slice(format!("{name}: {value}\n").as_bytes());
        }
        rest.extend_from_slice(&request.body);
        for name in found_in(&rest) {
            leaks.push(format!("{name} sent to the LLM outside Authorization"));
        }
    }
    assert!(llm_key_sent > 0, "the LLM key was used");
    let hooks = webhook.requests();
    assert!(!hooks.is_empty(), "the webhook sender ran");
    for request in &hooks {
        let mut all = request.body.clone();
        for (name, value) in &request.headers {
            all.extend_from_slice(format!("{name}: {value}\n").as_bytes());
        }
        for name in found_in(&all) {
            leaks.push(format!("{name} sent to the webhook receiver"));
        }
    }

    println!(
        "searched: the workerd log ({} bytes), {} replies, {} files ({} bytes) under {:?}; \
         fakes: {} Slack calls, {} LLM requests, {} webhook posts",
        log.len(),
        d.observed.replies.len(),
        scanned.0,
        scanned.1,
        kinds,
        slack.calls().len(),
        llm.raw_requests().len(),
        hooks.len()
    );
    assert!(
        leaks.is_empty(),
        "secrets leaked:\n  {}",
        leaks.join("\n  ")
    );
}
