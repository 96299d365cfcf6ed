//! Drained throughput (docs/BENCHMARKS.md, item 2): 16 connections over 50 targets for a fixed
//! time, then how many of the acknowledged events were fully drained, against the bare
//! pipeline floor built in the same run (`bench/bare`, `POST /pipeline/:name`: an outbox row,
//! an alarm, `create`/`sendEvent` to a minimal Workflow, one D1 upsert step per event).
//!
//! - incidentd: assignee updates over 50 incidents. An assignee update runs the same senders as
//!   a severity update (the dashboard index among them), every one is exactly one event, and
//!   the index row's assignee names the event it reflects, so the public list
//!   (`GET /dashboard/incidents`, read from the D1 index) tells which events are drained: an
//!   event counts once the dashboard sender step wrote the index for it or a later event.
//! - the floor: `POST /pipeline/:name` over 50 names; `GET /drained` reads its D1 table.
//!
//! Per round: acknowledgements per second, events drained per second while the load ran (the
//! budget figure: incidentd >= 0.8x the floor), the drain rate including the backlog (all
//! acknowledged events over load + backlog time) and the time from the end of the load until
//! the backlog is empty. Rounds alternate between the two workers, each starting on an empty
//! backlog. A benchmark: it prints figures and asserts nothing beyond requests succeeding.
//!
//! `bench-drained [SECONDS [ROUNDS]]` (default 20 s, 2 rounds each); `scripts/bench` builds
//! both workers. `INCIDENTD_DEV_SERVER=plain` runs both without the inspector.

use incidentctl::Client;
use incidentd_e2e::{create_incident, DevServer, LocalWorker};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const TARGETS: usize = 50;
/// How often the backlog is read once the load stopped (a D1 read on both workers).
const POLL_EVERY: Duration = Duration::from_millis(200);
const BACKLOG_TIMEOUT: Duration = Duration::from_secs(600);

/// A worker under load: one event per call, and a read of how many were drained.
trait Pipeline: Sync {
    fn label(&self) -> &'static str;
    /// Sends one event to target `target % TARGETS`; `Err` says why it was not acknowledged.
    fn send(&self, target: usize) -> Result<(), String>;
    /// Events drained since the worker started, as far as its D1 table tells.
    fn drained(&self) -> Result<usize, String>;
}

/// The bare pipeline floor of `bench/bare`.
struct Floor {
    url: String,
    agent: ureq::Agent,
}

impl Pipeline for Floor {
    fn label(&self) -> &'static str {
        "floor"
    }

    fn send(&self, target: usize) -> Result<(), String> {
        let url = format!("{}/pipeline/p{}", self.url, target % TARGETS);
        self.agent.post(&url).call().map(drop).map_err(|e| match e {
            ureq::Error::Status(code, reply) => {
                format!(
                    "POST {url}: {code} {}",
                    reply.into_string().unwrap_or_default()
                )
            }
            other => format!("POST {url}: {other}"),
        })
    }

    /// Event ids count from 1 per pipeline and drain in order: the sum of the last ones.
    fn drained(&self) -> Result<usize, String> {
        let reply: Value = self
            .agent
            .get(&format!("{}/drained", self.url))
            .call()
            .map_err(|e| format!("GET /drained: {e}"))?
            .into_json()
            .map_err(|e| format!("GET /drained: {e}"))?;
        let last_ids = reply.as_object().ok_or("GET /drained: not an object")?;
        Ok(last_ids
            .values()
            .map(|v| v.as_u64().unwrap_or(0) as usize)
            .sum())
    }
}

/// incidentd, with what it acknowledged: per incident the event ids, and which event each
/// assignee was set by.
struct Incidentd {
    client: Client,
    incidents: Vec<String>,
    acknowledged: Mutex<Acknowledged>,
    sent: AtomicUsize,
}

#[derive(Default)]
struct Acknowledged {
    /// incident id -> the event ids of our updates.
    events: HashMap<String, Vec<i64>>,
    /// assignee -> the event that set it.
    event_of: HashMap<String, i64>,
}

impl Pipeline for Incidentd {
    fn label(&self) -> &'static str {
        "incidentd"
    }

    fn send(&self, target: usize) -> Result<(), String> {
        let id = &self.incidents[target % TARGETS];
        let assignee = format!("drained-{}", self.sent.fetch_add(1, Ordering::Relaxed));
        let path = format!("/dashboard/incidents/{id}/assignee");
        let reply = self
            .client
            .post(&path, &json!({ "assignee": assignee }))
            .map_err(|e| format!("POST {path}: {e}"))?;
        let (200, Some(event_id)) = (reply.status, reply.body["event_id"].as_i64()) else {
            return Err(format!("POST {path}: {} {}", reply.status, reply.body));
        };
        let mut acknowledged = self.acknowledged.lock().expect("not poisoned");
        acknowledged
            .events
            .entry(id.clone())
            .or_default()
            .push(event_id);
        acknowledged.event_of.insert(assignee, event_id);
        Ok(())
    }

    /// Our events at or before the one each index row reflects (events drain in order).
    fn drained(&self) -> Result<usize, String> {
        let reply = self.client.get(incidentctl::INCIDENTS_PATH)?;
        if reply.status != 200 {
            return Err(format!("list: {} {}", reply.status, reply.body));
        }
        let rows = reply.body["incidents"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let acknowledged = self.acknowledged.lock().expect("not poisoned");
        Ok(rows
            .iter()
            .filter_map(|row| {
                let through = *acknowledged.event_of.get(row["assignee"].as_str()?)?;
                let events = acknowledged.events.get(row["id"].as_str()?)?;
                Some(events.iter().filter(|&&e| e <= through).count())
            })
            .sum())
    }
}

/// The drained count, read again until the worker answers (a read can time out under load).
fn drained(pipeline: &dyn Pipeline) -> usize {
    let began = Instant::now();
    loop {
        match pipeline.drained() {
            Ok(count) => return count,
            Err(e) if began.elapsed() < BACKLOG_TIMEOUT => {
                println!(
                    "  ({} drain read failed, read again: {e})",
                    pipeline.label()
                );
            }
            Err(e) => panic!("{} drain read: {e}", pipeline.label()),
        }
    }
}

/// Polls until `pipeline` drained `count` events more than `start`; the time it took.
fn until_drained(pipeline: &dyn Pipeline, start: usize, count: usize) -> Option<Duration> {
    let began = Instant::now();
    loop {
        if drained(pipeline) >= start + count {
            return Some(began.elapsed());
        }
        if began.elapsed() > BACKLOG_TIMEOUT {
            return None;
        }
        std::thread::sleep(POLL_EVERY);
    }
}

struct Round {
    acks_per_s: f64,
    drained_per_s: f64,
    overall_per_s: f64,
    backlog: Option<Duration>,
}

/// `CONNECTIONS` threads for `seconds`, then the drain figures.
fn round(pipeline: &dyn Pipeline, seconds: u64) -> Round {
    let start = drained(pipeline);
    let acks = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let began = Instant::now();
    let deadline = began + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for t in 0..CONNECTIONS {
            let (acks, failures) = (&acks, &failures);
            scope.spawn(move || {
                let mut target = t;
                while Instant::now() < deadline {
                    match pipeline.send(target) {
                        Ok(()) => acks.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            failures.lock().expect("not poisoned").push(e);
                            0
                        }
                    };
                    target += CONNECTIONS;
                }
            });
        }
    });
    let failures = failures.into_inner().expect("not poisoned");
    if let Some(first) = failures.first() {
        // Reported, not fatal: local workerd now and then drops a request under this load
        // ("Your worker restarted mid-request"). An event committed without an
        // acknowledgement may drain too: counted acknowledgements stay a lower bound.
        println!(
            "  ({} {} requests failed, first: {first})",
            failures.len(),
            pipeline.label()
        );
    }
    let load = began.elapsed();
    let acks = acks.load(Ordering::Relaxed);
    let drained_under_load = drained(pipeline) - start;
    let backlog = until_drained(pipeline, start, acks);
    let seconds = load.as_secs_f64();
    Round {
        acks_per_s: acks as f64 / seconds,
        drained_per_s: drained_under_load as f64 / seconds,
        overall_per_s: backlog.map_or(f64::NAN, |b| acks as f64 / (seconds + b.as_secs_f64())),
        backlog,
    }
}

fn print_round(label: &str, n: usize, r: &Round) {
    let backlog = r.backlog.map_or_else(
        || format!("not empty after {BACKLOG_TIMEOUT:?}"),
        |b| format!("{:.1} s", b.as_secs_f64()),
    );
    println!(
        "  {label:<9} round {n}: acks {:>6.1}/s  drained under load {:>6.1}/s  \
         incl. backlog {:>6.1}/s  backlog empty after {backlog}",
        r.acks_per_s, r.drained_per_s, r.overall_per_s
    );
}

fn mean(rounds: &[Round], figure: impl Fn(&Round) -> f64) -> f64 {
    rounds.iter().map(figure).sum::<f64>() / rounds.len() as f64
}

fn warm_up(pipeline: &dyn Pipeline) {
    let start = drained(pipeline);
    for target in 0..TARGETS {
        if let Err(e) = pipeline.send(target) {
            panic!("a {} warm-up request failed: {e}", pipeline.label());
        }
    }
    until_drained(pipeline, start, TARGETS).expect("the warm-up drained");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(20, |a| a.parse().expect("SECONDS"));
    let rounds: usize = args.next().map_or(2, |a| a.parse().expect("ROUNDS"));

    let bare = LocalWorker::start_bare("drained-floor");
    let worker = LocalWorker::start("drained-incidentd");
    let floor = Floor {
        url: bare.base_url(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build(),
    };
    let client = worker.client("demo");
    let incidents = (0..TARGETS)
        .map(|i| create_incident(&client, &format!("drained incident {i}")))
        .collect();
    let incidentd = Incidentd {
        client,
        incidents,
        acknowledged: Mutex::default(),
        sent: AtomicUsize::new(0),
    };
    warm_up(&floor);
    warm_up(&incidentd);

    println!(
        "drained throughput on {}, {CONNECTIONS} connections over {TARGETS} targets, {seconds} s per round, alternated",
        DevServer::from_env().describe()
    );
    let (mut on_floor, mut on_incidentd) = (Vec::new(), Vec::new());
    for n in 1..=rounds {
        let r = round(&floor, seconds);
        print_round(floor.label(), n, &r);
        on_floor.push(r);
        let r = round(&incidentd, seconds);
        print_round(incidentd.label(), n, &r);
        on_incidentd.push(r);
    }
    let ratio = |figure: fn(&Round) -> f64| mean(&on_incidentd, figure) / mean(&on_floor, figure);
    println!(
        "acks/s: floor {:.1}, incidentd {:.1} ({:.2}x)",
        mean(&on_floor, |r| r.acks_per_s),
        mean(&on_incidentd, |r| r.acks_per_s),
        ratio(|r| r.acks_per_s)
    );
    println!(
        "drained/s under load: floor {:.1}, incidentd {:.1}   ratio {:.2}x (budget 0.8x)",
        mean(&on_floor, |r| r.drained_per_s),
        mean(&on_incidentd, |r| r.drained_per_s),
        ratio(|r| r.drained_per_s)
    );
    println!(
        "drained/s including the backlog: floor {:.1}, incidentd {:.1} ({:.2}x)",
        mean(&on_floor, |r| r.overall_per_s),
        mean(&on_incidentd, |r| r.overall_per_s),
        ratio(|r| r.overall_per_s)
    );
    let backlog = |r: &Round| r.backlog.map_or(f64::NAN, |b| b.as_secs_f64());
    println!(
        "backlog empty after the load: floor {:.1} s, incidentd {:.1} s (mean)",
        mean(&on_floor, backlog),
        mean(&on_incidentd, backlog)
    );
}
