//! Load with failing integrations, and a process kill, on local workerd: shared by
//! `tests/tests/reliability.rs` (CI size) and `reliability-load` (full size, prints figures).
//!
//! The worker talks to a [`FakeSlack`] that fails a seeded share of calls (500, and 429 with
//! `Retry-After`) and to a slow webhook receiver. Threads send incidents' changes (messages
//! with `message_id`s, severity, assignee, one status change each) in a shuffled order; with
//! `kill`, the worker's workerd is SIGKILLed mid-load and the server restarted on the same
//! state directory. Once every change has been answered, some incidents are resolved. Then
//! [`verify`] checks, for what was acknowledged:
//!
//! - **timelines**: every acknowledged change is in its incident's timeline exactly once (by
//!   `event_id`, and by `message_id` for messages); nothing else is, except what triage writes
//!   and changes whose answer was lost (sent, never acknowledged);
//! - **forwarding**: every event is published and none is a dead letter;
//! - **index**: the D1 list converges to each object's severity, status and assignee;
//! - **Slack**: one channel per incident, and each message the sender owes (the announcement,
//!   a note per change, a copy per dashboard message; found by their metadata, which is what
//!   a retried post searches for) is in it exactly once: the fake keeps every post, so a
//!   double post would show;
//! - **webhook**: every incident's key (`<id>:1:webhook`) arrived, no other key did, and every
//!   request with a key carries the same event: after the receiver drops repeats by
//!   `Idempotency-Key`, each happened once. A repeat is legitimate when the sender got no
//!   answer in time (its step timed out while the request waited at the slow, one-at-a-time
//!   receiver, or the kill cut it): counted and reported, with how long after the first;
//! - **closes**: every resolved incident is finalised (the API answers from its archive) and
//!   analysed.

use crate::slack::{connect, ADMIN_TOKEN, SIGNING_SECRET, TOKEN_KEY};
use crate::{list_summaries, poll, LocalWorker};
use incidentctl::{Client, Reply};
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_testkit::{FakeSlack, Fault};
use serde_json::{json, Value};
use sluice::native::{RecordingServer, Scripted};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sizes, fault rates and whether to kill.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub incidents: usize,
    pub changes_per_incident: usize,
    pub threads: usize,
    /// Drives the order of the changes and the fake's faults: a failing run repeats.
    pub seed: u64,
    /// Share of Slack calls answered 500, in percent.
    pub slack_server_error_percent: u64,
    /// Share of Slack calls answered 429 with `Retry-After`, in percent.
    pub slack_rate_limit_percent: u64,
    pub webhook_delay: Duration,
    /// SIGKILL the worker's workerd once this share of the changes has been sent (percent),
    /// then restart it on the same state directory.
    pub kill_at_percent: Option<usize>,
    /// Every `close_every`-th incident (the first included) is resolved after the load.
    pub close_every: usize,
}

impl LoadConfig {
    /// 50 incidents × 40 changes from 16 threads.
    pub fn full() -> LoadConfig {
        LoadConfig {
            incidents: 50,
            changes_per_incident: 40,
            threads: 16,
            ..LoadConfig::ci()
        }
    }

    /// 8 incidents × 10 changes from 8 threads: what `cargo test` runs.
    pub fn ci() -> LoadConfig {
        LoadConfig {
            incidents: 8,
            changes_per_incident: 10,
            threads: 8,
            seed: 0x5EED_1234_ABCD_0042,
            slack_server_error_percent: 10,
            slack_rate_limit_percent: 5,
            webhook_delay: Duration::from_millis(300),
            kill_at_percent: None,
            close_every: 4,
        }
    }

    pub fn with_kill(self) -> LoadConfig {
        LoadConfig {
            kill_at_percent: Some(40),
            ..self
        }
    }
}

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One change the load sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Message {
        message_id: String,
        text: String,
    },
    Severity(&'static str),
    Assignee(String),
    /// `open → mitigating`, once per incident.
    Mitigate(String),
    /// `→ resolved`, after the load, on the incidents the run closes.
    Resolve(String),
}

impl Change {
    /// Change `k` of incident `i`: one status change in the middle, severity and assignee
    /// changes every 10, messages otherwise.
    fn plan(i: usize, k: usize, count: usize) -> Change {
        const SEVERITIES: [&str; 3] = ["high", "low", "medium"];
        match k % 10 {
            _ if k == count / 2 => Change::Mitigate(format!("mitigating incident {i}")),
            3 => Change::Severity(SEVERITIES[(i + k / 10) % 3]),
            7 => Change::Assignee(format!("user-{i}-{k}")),
            _ => Change::Message {
                message_id: format!("load-{i}-{k}"),
                text: format!("change {k} of load incident {i}"),
            },
        }
    }

    /// A message carries its own idempotency key (`message_id`): sending it again after a lost
    /// answer is safe, so the load retries it until acknowledged. The others are sent once.
    fn retry_safe(&self) -> bool {
        matches!(self, Change::Message { .. })
    }

    fn request(&self, id: &str) -> (String, Value) {
        let path = |route: &str| format!("/dashboard/incidents/{id}/{route}");
        match self {
            Change::Message { message_id, text } => (
                path("messages"),
                json!({ "message": text, "message_id": message_id }),
            ),
            Change::Severity(severity) => (path("severity"), json!({ "severity": severity })),
            Change::Assignee(user) => (path("assignee"), json!({ "assignee": user })),
            Change::Mitigate(message) => (
                path("status"),
                json!({ "status": "mitigating", "message": message }),
            ),
            Change::Resolve(message) => (
                path("status"),
                json!({ "status": "resolved", "message": message }),
            ),
        }
    }

    /// Whether timeline `entry` records this change.
    fn recorded_by(&self, entry: &Value) -> bool {
        let (kind, data) = (&entry["event_type"], &entry["data"]);
        match self {
            Change::Message { message_id, text } => {
                kind == "MESSAGE_ADDED"
                    && data["message_id"] == *message_id
                    && data["message"] == *text
            }
            Change::Severity(severity) => {
                kind == "SEVERITY_UPDATE" && data["severity"] == *severity
            }
            Change::Assignee(user) => kind == "ASSIGNEE_UPDATE" && data["assignee"] == *user,
            Change::Mitigate(message) => {
                kind == "STATUS_UPDATE"
                    && data["status"] == "mitigating"
                    && data["message"] == *message
            }
            Change::Resolve(message) => {
                kind == "STATUS_UPDATE"
                    && data["status"] == "resolved"
                    && data["message"] == *message
            }
        }
    }
}

/// What became of one change.
#[derive(Debug)]
struct Sent {
    incident: usize,
    change: Change,
    attempts: usize,
    /// The 2xx reply, or the last failure.
    outcome: Result<Reply, String>,
}

impl Sent {
    fn acknowledged(&self) -> Option<&Reply> {
        self.outcome.as_ref().ok()
    }
}

/// The figures of a run.
#[derive(Debug, Default)]
pub struct Figures {
    pub incidents: usize,
    pub changes: usize,
    pub threads: usize,
    pub seed: u64,
    /// HTTP requests of the load (creates and changes, retries included).
    pub requests_sent: usize,
    pub changes_acknowledged: usize,
    pub changes_not_acknowledged: usize,
    /// Why, by kind (the status, or the transport error), with how many.
    pub not_acknowledged_because: BTreeMap<String, usize>,
    /// Retries of a message whose first answer was lost but which was committed: answered
    /// `duplicate: true` with the original event.
    pub retries_answered_duplicate: usize,
    pub timeline_events_checked: usize,
    /// Alarm passes that forwarded events (told apart by `published_at`, the pass's time),
    /// and the events forwarded in a pass with others: what batching several events per
    /// `sendEvent` could have saved.
    pub forwarding_passes: usize,
    pub events_sharing_a_pass: usize,
    pub slack_calls: usize,
    pub slack_server_errors_injected: usize,
    pub slack_rate_limits_injected: usize,
    pub slack_messages_checked: usize,
    pub webhook_requests: usize,
    pub webhook_keys: usize,
    /// Requests repeating a key already received (dropped by the receiver).
    pub webhook_resent: usize,
    /// Shortest and longest time from a key's first request to its second.
    pub webhook_resend_gap_secs: Option<(f64, f64)>,
    /// Events or effects found more than once (must be 0).
    pub duplicates_found: usize,
    /// Incidents resolved after the load, then found archived and analysed.
    pub incidents_closed: usize,
    pub closed_archived: usize,
    pub closed_analysed: usize,
    /// Events an `IncidentWorkflow` instance recovered from its object after the engine
    /// lost them (log lines of the `incident.missed` step).
    pub events_recovered: usize,
    pub kill: Option<KillFigures>,
    pub load_secs: f64,
    pub converge_secs: f64,
    pub total_secs: f64,
}

#[derive(Debug, Default)]
pub struct KillFigures {
    /// Changes started before the kill.
    pub after_changes: usize,
    pub killed_pids: Vec<u32>,
    /// From the kill until the restarted worker answered.
    pub down_secs: f64,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Figures {
            incidents,
            changes,
            threads,
            seed,
            ..
        } = self;
        writeln!(f, "load: {incidents} incidents x {changes} changes from {threads} threads, seed {seed:#x}")?;
        writeln!(
            f,
            "requests sent {} (creates and changes, retries included); changes acknowledged {}, not acknowledged {}; retries answered duplicate {}",
            self.requests_sent, self.changes_acknowledged, self.changes_not_acknowledged, self.retries_answered_duplicate
        )?;
        writeln!(
            f,
            "slack: {} calls, faults injected {} x 500 + {} x 429; {} messages checked",
            self.slack_calls,
            self.slack_server_errors_injected,
            self.slack_rate_limits_injected,
            self.slack_messages_checked
        )?;
        if !self.not_acknowledged_because.is_empty() {
            writeln!(
                f,
                "not acknowledged because: {:?}",
                self.not_acknowledged_because
            )?;
        }
        write!(
            f,
            "webhook: {} requests, {} idempotency keys, {} re-sent (dropped by the receiver by key)",
            self.webhook_requests, self.webhook_keys, self.webhook_resent
        )?;
        match self.webhook_resend_gap_secs {
            Some((min, max)) => writeln!(f, ", {min:.1} to {max:.1} s after the first")?,
            None => writeln!(f)?,
        }
        if let Some(kill) = &self.kill {
            writeln!(
                f,
                "kill: SIGKILL workerd {:?} after {} changes; down {:.1} s until the restarted worker answered",
                kill.killed_pids, kill.after_changes, kill.down_secs
            )?;
        }
        writeln!(
            f,
            "forwarding: {} alarm passes forwarded events; {} events shared a pass with others",
            self.forwarding_passes, self.events_sharing_a_pass
        )?;
        writeln!(
            f,
            "closes: {} incidents resolved after the load; {} archived, {} analysed",
            self.incidents_closed, self.closed_archived, self.closed_analysed
        )?;
        writeln!(
            f,
            "timeline events checked {}; duplicates found {}; recoveries of events the engine lost {}",
            self.timeline_events_checked, self.duplicates_found, self.events_recovered
        )?;
        write!(
            f,
            "elapsed: load {:.1} s, convergence {:.1} s, total {:.1} s",
            self.load_secs, self.converge_secs, self.total_secs
        )
    }
}

pub struct Report {
    pub figures: Figures,
    /// Invariant violations, each explained; empty when the run passed.
    pub problems: Vec<String>,
}

/// Runs the load (and the kill) and verifies; panics only when the setup itself fails.
pub fn run(name: &str, config: &LoadConfig) -> Report {
    let started = Instant::now();
    let slack = FakeSlack::start();
    let delay = config.webhook_delay;
    let webhook = RecordingServer::answering(move |_| {
        std::thread::sleep(delay);
        Scripted::status(200)
    });
    let hook = format!("{}/hook", webhook.url);
    let mut worker = LocalWorker::start_with_secrets(
        name,
        &[("SLACK_API_URL", &slack.api_url()), ("WEBHOOK_URL", &hook)],
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    );
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "connect: {:?}", connected.body);
    let injected = inject_slack_faults(&slack, config);

    let client = worker.client("demo");
    let requests = AtomicUsize::new(0);
    let load_started = Instant::now();
    let ids = create_incidents(&client, config, &requests);
    let (mut sent, kill) = send_changes(&mut worker, &client, &ids, config, &requests);
    let closed = close_incidents(&client, config, &ids, &requests);
    sent.extend(closed);
    let load_secs = load_started.elapsed().as_secs_f64();

    let mut figures = Figures {
        incidents: config.incidents,
        changes: config.changes_per_incident,
        threads: config.threads,
        seed: config.seed,
        requests_sent: requests.load(Ordering::Relaxed),
        changes_acknowledged: sent.iter().filter(|s| s.acknowledged().is_some()).count(),
        changes_not_acknowledged: sent.iter().filter(|s| s.acknowledged().is_none()).count(),
        retries_answered_duplicate: sent
            .iter()
            .filter(|s| {
                s.attempts > 1
                    && s.acknowledged()
                        .is_some_and(|r| r.body["duplicate"] == true)
            })
            .count(),
        not_acknowledged_because: sent.iter().filter_map(|s| s.outcome.as_ref().err()).fold(
            BTreeMap::new(),
            |mut kinds, e| {
                *kinds.entry(failure_kind(e)).or_default() += 1;
                kinds
            },
        ),
        kill,
        load_secs,
        incidents_closed: sent
            .iter()
            .filter(|s| matches!(s.change, Change::Resolve(_)) && s.acknowledged().is_some())
            .count(),
        ..Figures::default()
    };
    let converge_started = Instant::now();
    let problems = verify(&worker, &slack, &webhook, &ids, &sent, &mut figures);
    figures.converge_secs = converge_started.elapsed().as_secs_f64();
    figures.events_recovered = worker
        .log()
        .matches(incidentd_workflows::incident::RECOVERED_LOG)
        .count();
    figures.slack_calls = slack.calls().len();
    figures.slack_server_errors_injected = injected.server_errors.load(Ordering::Relaxed);
    figures.slack_rate_limits_injected = injected.rate_limits.load(Ordering::Relaxed);
    figures.total_secs = started.elapsed().as_secs_f64();
    Report { figures, problems }
}

#[derive(Default)]
struct Injected {
    server_errors: AtomicUsize,
    rate_limits: AtomicUsize,
}

/// From now on the fake answers a seeded share of calls 500 and another 429 (`Retry-After: 1`).
fn inject_slack_faults(slack: &FakeSlack, config: &LoadConfig) -> Arc<Injected> {
    let injected = Arc::new(Injected::default());
    let counts = injected.clone();
    let mut rng = Rng(config.seed ^ 0xFA17);
    let (errors, limits) = (
        config.slack_server_error_percent,
        config.slack_rate_limit_percent,
    );
    slack.fail_when(move |_| {
        let draw = rng.below(100);
        if draw < errors {
            counts.server_errors.fetch_add(1, Ordering::Relaxed);
            Some(Fault::ServerError)
        } else if draw < errors + limits {
            counts.rate_limits.fetch_add(1, Ordering::Relaxed);
            Some(Fault::RateLimited {
                retry_after_secs: 1,
            })
        } else {
            None
        }
    });
    injected
}

/// How long a retry-safe request is retried (a restart takes well under this).
const RETRY_FOR: Duration = Duration::from_secs(180);

/// Sends until a 2xx answer; `retry_safe` requests again after a transport error or a 5xx
/// (what a careful client does), others once. A 4xx is final: the load sends only valid
/// requests, so [`verify`] reports it.
fn send_until_acknowledged(
    client: &Client,
    path: &str,
    body: &Value,
    retry_safe: bool,
    requests: &AtomicUsize,
) -> (usize, Result<Reply, String>) {
    let first = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        requests.fetch_add(1, Ordering::Relaxed);
        let outcome = match client.post(path, body) {
            Ok(reply) if reply.is_success() => return (attempts, Ok(reply)),
            Ok(reply) => Err(format!("{} {}", reply.status, reply.body)),
            Err(transport) => Err(transport),
        };
        let final_answer = outcome.as_ref().err().is_some_and(|e| e.starts_with('4'));
        if !retry_safe || final_answer || first.elapsed() > RETRY_FOR {
            return (attempts, outcome);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Runs `work(index)` for `0..count` on `threads` threads.
fn in_pool(threads: usize, count: usize, work: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    break;
                }
                work(index);
            });
        }
    });
}

/// Declares the incidents (each with an idempotency key, so a retried create is safe).
fn create_incidents(client: &Client, config: &LoadConfig, requests: &AtomicUsize) -> Vec<String> {
    let ids: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; config.incidents]);
    in_pool(config.threads, config.incidents, |i| {
        let body = json!({
            "prompt": format!("load incident {i}"),
            "idempotency_key": format!("load-{:x}-{i}", config.seed),
        });
        let (_, outcome) =
            send_until_acknowledged(client, incidentctl::INCIDENTS_PATH, &body, true, requests);
        let reply = outcome.unwrap_or_else(|e| panic!("create incident {i}: {e}"));
        ids.lock().unwrap()[i] = reply.body["incident"]["id"].as_str().map(str::to_owned);
    });
    let ids = ids.into_inner().unwrap();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| id.unwrap_or_else(|| panic!("incident {i}: no id")))
        .collect()
}

/// Sends every change in a seeded shuffled order; with a kill configured, a controller thread
/// SIGKILLs workerd once that share of changes has started, and restarts the server.
fn send_changes(
    worker: &mut LocalWorker,
    client: &Client,
    ids: &[String],
    config: &LoadConfig,
    requests: &AtomicUsize,
) -> (Vec<Sent>, Option<KillFigures>) {
    let count = config.changes_per_incident;
    let mut jobs: Vec<(usize, Change)> = (0..config.incidents)
        .flat_map(|i| (0..count).map(move |k| (i, Change::plan(i, k, count))))
        .collect();
    let mut rng = Rng(config.seed);
    for i in (1..jobs.len()).rev() {
        jobs.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let started = AtomicUsize::new(0);
    let sent: Mutex<Vec<Sent>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let kill_at = config.kill_at_percent.map(|p| jobs.len() * p / 100);
    let mut kill = None;
    std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            in_pool(config.threads, jobs.len(), |index| {
                started.fetch_add(1, Ordering::Relaxed);
                let (incident, change) = &jobs[index];
                let (path, body) = change.request(&ids[*incident]);
                let (attempts, outcome) =
                    send_until_acknowledged(client, &path, &body, change.retry_safe(), requests);
                sent.lock().unwrap().push(Sent {
                    incident: *incident,
                    change: change.clone(),
                    attempts,
                    outcome,
                });
            });
        });
        if let Some(kill_at) = kill_at {
            while started.load(Ordering::Relaxed) < kill_at && !load.is_finished() {
                std::thread::sleep(Duration::from_millis(5));
            }
            let after_changes = started.load(Ordering::Relaxed);
            let down = Instant::now();
            let killed_pids = worker.kill_workerd();
            worker.restart();
            kill = Some(KillFigures {
                after_changes,
                killed_pids,
                down_secs: down.elapsed().as_secs_f64(),
            });
        }
        load.join().expect("load threads");
    });
    (sent.into_inner().unwrap(), kill)
}

/// Resolves every `close_every`-th incident, once every change has been answered (a change
/// after the close would be refused).
fn close_incidents(
    client: &Client,
    config: &LoadConfig,
    ids: &[String],
    requests: &AtomicUsize,
) -> Vec<Sent> {
    (0..ids.len())
        .step_by(config.close_every.max(1))
        .map(|incident| {
            let change = Change::Resolve(format!("load incident {incident} resolved"));
            let (path, body) = change.request(&ids[incident]);
            let (attempts, outcome) =
                send_until_acknowledged(client, &path, &body, change.retry_safe(), requests);
            Sent {
                incident,
                change,
                attempts,
                outcome,
            }
        })
        .collect()
}

/// Every resolved incident ends archived (the API answers from the archive) and analysed.
fn check_closes(
    client: &Client,
    ids: &[String],
    sent: &[Sent],
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    let closed: Vec<&String> = sent
        .iter()
        .filter(|s| matches!(s.change, Change::Resolve(_)) && s.acknowledged().is_some())
        .map(|s| &ids[s.incident])
        .collect();
    let settled = |id: &str| {
        let archived = client
            .get(&format!("/dashboard/incidents/{id}"))
            .is_ok_and(|r| r.status == 200 && r.body["archived"] == true);
        let analysed = client
            .get(&format!("/dashboard/incidents/{id}/analysis"))
            .is_ok_and(|r| r.status == 200);
        (archived, analysed)
    };
    let all_settled = poll(Duration::from_secs(180), || {
        closed
            .iter()
            .all(|id| settled(id) == (true, true))
            .then_some(())
    });
    for id in &closed {
        let (archived, analysed) = settled(id);
        figures.closed_archived += usize::from(archived);
        figures.closed_analysed += usize::from(analysed);
        if all_settled.is_none() && !(archived && analysed) {
            problems.push(format!(
                "incident {id}: resolved, archived {archived}, analysed {analysed} after 180 s"
            ));
        }
    }
}

/// An incident as the object shows it: state and timeline.
fn show(client: &Client, id: &str) -> Option<(Value, Vec<Value>)> {
    let reply = client.get(&format!("/dashboard/incidents/{id}")).ok()?;
    (reply.status == 200).then(|| {
        let timeline = reply.body["timeline"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (reply.body["incident"].clone(), timeline)
    })
}

fn dead_letters(client: &Client, id: &str) -> Option<usize> {
    let reply = client
        .get(&format!("/dashboard/incidents/{id}/dead-letters"))
        .ok()?;
    (reply.status == 200).then(|| reply.body["dead_letters"].as_array().map_or(0, Vec::len))
}

/// Waits (bounded) for forwarding to finish, then checks every invariant; fills `figures`.
fn verify(
    worker: &LocalWorker,
    slack: &FakeSlack,
    webhook: &RecordingServer,
    ids: &[String],
    sent: &[Sent],
    figures: &mut Figures,
) -> Vec<String> {
    let client = worker.client("demo");
    let mut problems = Vec::new();
    for s in sent {
        if let Err(e) = &s.outcome {
            if e.starts_with('4') {
                problems.push(format!(
                    "incident {}: {:?} refused: {e}",
                    s.incident, s.change
                ));
            }
        }
    }

    // Forwarding resumed and finished: every event published, no dead letter.
    let forwarded = poll(Duration::from_secs(180), || {
        let shown: Vec<(Value, Vec<Value>)> = ids
            .iter()
            .map(|id| show(&client, id))
            .collect::<Option<_>>()?;
        let pending = shown
            .iter()
            .flat_map(|(_, timeline)| timeline)
            .any(|e| !e["published_at"].is_i64() && e["dead_lettered"] != true);
        (!pending).then_some(shown)
    });
    let Some(shown) = forwarded else {
        problems.push("forwarding did not finish within 180 s".into());
        return problems;
    };
    for (id, _) in ids.iter().zip(&shown) {
        match dead_letters(&client, id) {
            Some(0) => {}
            other => problems.push(format!("incident {id}: dead letters {other:?}")),
        }
    }

    check_timelines(&shown, sent, figures, &mut problems);
    check_index(&client, ids, &shown, &mut problems);
    check_slack(&client, slack, ids, &shown, figures, &mut problems);
    check_webhook(webhook, ids, figures, &mut problems);
    check_closes(&client, ids, sent, figures, &mut problems);
    problems
}

/// Every acknowledged change exactly once; nothing unexplained.
fn check_timelines(
    shown: &[(Value, Vec<Value>)],
    sent: &[Sent],
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    for (incident, (state, timeline)) in shown.iter().enumerate() {
        figures.timeline_events_checked += timeline.len();
        let mut passes: HashMap<i64, usize> = HashMap::new();
        for entry in timeline {
            if let Some(at) = entry["published_at"].as_i64() {
                *passes.entry(at).or_default() += 1;
            }
        }
        figures.forwarding_passes += passes.len();
        figures.events_sharing_a_pass += passes.values().filter(|n| **n > 1).sum::<usize>();
        let mine: Vec<&Sent> = sent.iter().filter(|s| s.incident == incident).collect();
        let mut event_ids: HashMap<i64, usize> = HashMap::new();
        let mut message_ids: HashMap<&str, usize> = HashMap::new();
        for entry in timeline {
            *event_ids
                .entry(entry["event_id"].as_i64().unwrap_or(-1))
                .or_default() += 1;
            if let Some(message_id) = entry["data"]["message_id"].as_str() {
                *message_ids.entry(message_id).or_default() += 1;
            }
        }
        for (event_id, n) in &event_ids {
            if *n != 1 {
                figures.duplicates_found += 1;
                problems.push(format!(
                    "incident {incident}: event {event_id} appears {n} times"
                ));
            }
        }
        for (message_id, n) in &message_ids {
            if *n != 1 {
                figures.duplicates_found += 1;
                problems.push(format!(
                    "incident {incident}: message_id {message_id} appears {n} times"
                ));
            }
        }
        // Each acknowledged change: its event is there and is that change.
        for s in &mine {
            let Some(reply) = s.acknowledged() else {
                continue;
            };
            match reply.body["event_id"].as_i64() {
                Some(event_id) => {
                    let entry = timeline.iter().find(|e| e["event_id"] == event_id);
                    if !entry.is_some_and(|e| s.change.recorded_by(e)) {
                        problems.push(format!(
                            "incident {incident}: acknowledged {:?} as event {event_id}, timeline has {entry:?}",
                            s.change
                        ));
                    }
                }
                // No event: the severity or assignee was already the one asked for.
                None => {
                    let already = match &s.change {
                        Change::Severity(sev) => reply.body["incident"]["severity"] == *sev,
                        Change::Assignee(user) => reply.body["incident"]["assignee"] == *user,
                        _ => false,
                    };
                    if !already {
                        problems.push(format!(
                            "incident {incident}: {:?} acknowledged without an event: {}",
                            s.change, reply.body
                        ));
                    }
                }
            }
        }
        // Every other entry is triage's, the creation, or a change whose answer was lost.
        let acknowledged: BTreeSet<i64> = mine
            .iter()
            .filter_map(|s| s.acknowledged()?.body["event_id"].as_i64())
            .collect();
        for entry in timeline {
            let event_id = entry["event_id"].as_i64().unwrap_or(-1);
            let explained = acknowledged.contains(&event_id)
                || (event_id == 1 && entry["event_type"] == "INCIDENT_CREATED")
                || entry["actor"]["kind"] == "triage"
                || mine
                    .iter()
                    .any(|s| s.acknowledged().is_none() && s.change.recorded_by(entry));
            if !explained {
                problems.push(format!(
                    "incident {incident}: unexplained timeline entry {entry}"
                ));
            }
        }
        if state["last_event_id"].as_i64() != timeline.last().and_then(|e| e["event_id"].as_i64()) {
            problems.push(format!(
                "incident {incident}: last_event_id {} but the timeline ends elsewhere",
                state["last_event_id"]
            ));
        }
    }
}

/// The D1 list converges to each object's state.
fn check_index(
    client: &Client,
    ids: &[String],
    shown: &[(Value, Vec<Value>)],
    problems: &mut Vec<String>,
) {
    const FIELDS: [&str; 3] = ["severity", "status", "assignee"];
    let differences = |list: &[Value]| -> Vec<String> {
        ids.iter()
            .zip(shown)
            .filter_map(|(id, (state, _))| {
                let row = list.iter().find(|r| r["id"] == id.as_str());
                let same = row.is_some_and(|r| FIELDS.iter().all(|f| r[f] == state[f]));
                (!same).then(|| format!("incident {id}: index has {row:?}, object has {state}"))
            })
            .collect()
    };
    // As long as the Slack check allows: an incident's events are handled in order, so a
    // Slack step still retrying injected faults (with backoff) holds its later index writes.
    let converged = poll(Duration::from_secs(240), || {
        differences(&list_summaries(client))
            .is_empty()
            .then_some(())
    });
    if converged.is_none() {
        problems.extend(differences(&list_summaries(client)));
    }
}

fn is_closing(status: &Value) -> bool {
    status == "resolved" || status == "declined"
}

/// The Slack messages the sender owes for one timeline entry.
fn owed_part(entry: &Value) -> Option<&'static str> {
    match entry["event_type"].as_str()? {
        "INCIDENT_CREATED" => Some(part::ANNOUNCEMENT),
        "SEVERITY_UPDATE" => Some(part::SEVERITY_NOTE),
        "ASSIGNEE_UPDATE" => Some(part::ASSIGNEE_NOTE),
        "STATUS_UPDATE" if is_closing(&entry["data"]["status"]) => Some(part::CLOSING_SUMMARY),
        "STATUS_UPDATE" => Some(part::STATUS_NOTE),
        "MESSAGE_ADDED" => Some(part::DASHBOARD_MESSAGE),
        _ => None,
    }
}

/// The incidentd messages in every channel the fake created, by what they were posted for.
/// (incident, event, part) → where each copy is: (channel, ts).
type Posts = BTreeMap<(String, i64, String), Vec<(String, String)>>;

fn slack_posts(slack: &FakeSlack) -> Posts {
    let mut posts: BTreeMap<_, Vec<_>> = BTreeMap::new();
    let names: BTreeSet<String> = slack
        .calls_to("conversations.create")
        .iter()
        .map(|c| c.arg("name").to_owned())
        .collect();
    for channel in names.iter().filter_map(|n| slack.channel_named(n)) {
        for message in &channel.messages {
            if let Some(p) = PostedFor::of_message(&json!({ "metadata": message.metadata })) {
                // The announcement is re-rendered as of later events: one per incident.
                let event_id = if p.part == part::ANNOUNCEMENT {
                    1
                } else {
                    p.event_id
                };
                posts
                    .entry((p.incident_id, event_id, p.part))
                    .or_default()
                    .push((channel.id.clone(), message.ts.clone()));
            }
        }
    }
    posts
}

/// One channel per incident, holding each owed message exactly once (and the announcement
/// pinned); nothing owed to nobody.
fn check_slack(
    client: &Client,
    slack: &FakeSlack,
    ids: &[String],
    shown: &[(Value, Vec<Value>)],
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    let owed: BTreeSet<(String, i64, String)> = ids
        .iter()
        .zip(shown)
        .flat_map(|(id, (_, timeline))| {
            timeline.iter().filter_map(move |e| {
                let part = owed_part(e)?;
                let event_id = if part == part::ANNOUNCEMENT {
                    1
                } else {
                    e["event_id"].as_i64()?
                };
                Some((id.clone(), event_id, part.to_owned()))
            })
        })
        .collect();
    // A closed incident's analysis may be posted too (once, for its last event). Not owed:
    // the post is a courtesy the analysis workflow gives up on after its retries (the
    // analysis itself is checked by `check_closes`), and the fake keeps failing calls.
    let courtesy: BTreeSet<(String, i64, String)> = ids
        .iter()
        .zip(shown)
        .filter(|(_, (state, _))| is_closing(&state["status"]))
        .filter_map(|(id, (state, _))| {
            let last = state["last_event_id"].as_i64()?;
            Some((id.clone(), last, part::ANALYSIS.to_owned()))
        })
        .collect();
    // Done when every owed message is posted and each incident records its channel and
    // pinned announcement (the sender's last write-back).
    let done = |posts: &Posts| -> bool {
        owed.iter().all(|k| posts.contains_key(k))
            && ids
                .iter()
                .all(|id| where_announced(client, slack, id).is_ok())
    };
    let all_posted = poll(Duration::from_secs(240), || {
        done(&slack_posts(slack)).then_some(())
    });
    // Let a late duplicate show before counting.
    std::thread::sleep(Duration::from_secs(3));
    let posts = slack_posts(slack);
    if all_posted.is_none() {
        let missing: Vec<_> = owed.iter().filter(|k| !posts.contains_key(*k)).collect();
        // Where each incident missing one stands: its workflow instance's status.
        let stuck: BTreeSet<&String> = missing.iter().map(|(id, _, _)| id).collect();
        let workflows: Vec<String> = stuck
            .iter()
            .map(|id| {
                let reply = client.get(&format!("/dashboard/incidents/{id}/workflow"));
                let status = reply.map(|r| r.body["status"].to_string());
                format!("{id}: {status:?}")
            })
            .collect();
        problems.push(format!(
            "{} Slack messages of {} incidents never posted within 240 s, e.g. {:?}; workflows:\n{}",
            missing.len(),
            stuck.len(),
            &missing[..missing.len().min(5)],
            workflows.join("\n")
        ));
    }
    figures.slack_messages_checked = posts.values().map(Vec::len).sum();
    for (key, copies) in &posts {
        if !owed.contains(key) && !courtesy.contains(key) {
            problems.push(format!(
                "Slack message for nothing owed: {key:?} at {copies:?}"
            ));
        }
        if copies.len() > 1 {
            figures.duplicates_found += 1;
            problems.push(format!(
                "Slack message {key:?} posted {} times: {copies:?}",
                copies.len()
            ));
        }
    }
    let created = slack
        .answered_calls()
        .iter()
        .filter(|c| c.call.method == "conversations.create" && c.answer["ok"] == true)
        .count();
    if created != ids.len() {
        problems.push(format!(
            "{created} Slack channels created for {} incidents",
            ids.len()
        ));
    }
    for id in ids {
        match where_announced(client, slack, id) {
            Ok((channel, announcement_ts)) => {
                for ((incident, _, part), copies) in &posts {
                    if incident == id && copies.iter().any(|(c, _)| *c != channel) {
                        problems.push(format!("incident {id}: {part} posted outside its channel {channel}: {copies:?}"));
                    }
                }
                let announced = posts.get(&(id.clone(), 1, part::ANNOUNCEMENT.to_owned()));
                if !announced.is_some_and(|a| a.iter().all(|(_, ts)| *ts == announcement_ts)) {
                    problems.push(format!("incident {id}: the recorded announcement {announcement_ts} is not the posted {announced:?}"));
                }
            }
            Err(e) => problems.push(format!("incident {id}: {e}")),
        }
    }
}

/// The incident's channel and pinned announcement, as it recorded them and as the fake has them.
fn where_announced(
    client: &Client,
    slack: &FakeSlack,
    id: &str,
) -> Result<(String, String), String> {
    let (state, _) = show(client, id).ok_or("not readable")?;
    let metadata = &state["metadata"];
    let recorded = |key: &str| {
        metadata[key]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("no {key} recorded: {metadata}"))
    };
    let channel = recorded("slack_channel")?;
    let ts = recorded("slack_announcement_ts")?;
    let pins = slack
        .channel(&channel)
        .ok_or(format!("no channel {channel} at the fake"))?
        .pins;
    if !pins.contains(&ts) {
        return Err(format!(
            "announcement {ts} not pinned in {channel} (pins {pins:?})"
        ));
    }
    Ok((channel, ts))
}

/// One key per incident's creation; a key sent again carries the same event.
fn check_webhook(
    webhook: &RecordingServer,
    ids: &[String],
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("{id}:1:webhook")).collect();
    let arrived = poll(Duration::from_secs(60), || {
        let keys: BTreeSet<String> = webhook.requests_by_idempotency_key().into_keys().collect();
        expected.is_subset(&keys).then_some(())
    });
    if arrived.is_none() {
        problems.push("not every incident's webhook arrived within 60 s".into());
    }
    let groups = webhook.requests_by_idempotency_key();
    figures.webhook_requests = groups.values().map(Vec::len).sum();
    figures.webhook_keys = groups.len();
    figures.webhook_resent = figures.webhook_requests - figures.webhook_keys;
    for (key, requests) in &groups {
        if !expected.contains(key) {
            problems.push(format!("webhook key {key:?} not expected"));
        }
        if requests.iter().any(|r| r.json() != requests[0].json()) {
            problems.push(format!("webhook key {key}: re-sent with another body"));
        }
    }
    // A copy sent again (its step timed out waiting on the slow receiver, or was cut by the
    // kill) is dropped by the receiver by its key: counted, with how long after the first.
    let gaps: Vec<f64> = groups
        .values()
        .filter(|requests| requests.len() > 1)
        .map(|requests| signed_secs(requests[1].received_at, requests[0].received_at))
        .collect();
    if !gaps.is_empty() {
        figures.webhook_resend_gap_secs = Some((
            gaps.iter().copied().fold(f64::INFINITY, f64::min),
            gaps.iter().copied().fold(0.0, f64::max),
        ));
    }
}

/// A failure's kind: the status code, or the transport error without its details.
fn failure_kind(error: &str) -> String {
    match error.split_once(' ') {
        Some((status, _)) if status.parse::<u16>().is_ok() => status.to_owned(),
        // `<METHOD> <path>: <transport error>`: the path differs for every incident.
        _ => error
            .split_once(": ")
            .map_or(error, |(_, e)| e)
            .chars()
            .take(60)
            .collect(),
    }
}

/// `t - origin` in seconds, negative when `t` is earlier.
fn signed_secs(t: Instant, origin: Instant) -> f64 {
    match t.checked_duration_since(origin) {
        Some(after) => after.as_secs_f64(),
        None => -(origin - t).as_secs_f64(),
    }
}
