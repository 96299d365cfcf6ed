//! Drain latency and long histories on local workerd (docs/BENCHMARKS.md, items 3 and 4):
//!
//! - create acknowledged -> the example webhook sender's request arriving at a recording
//!   server on 127.0.0.1, sequentially and while 16 threads post messages over 50 incidents;
//! - history, on a second worker connected to the fake Slack: message acknowledgement, and
//!   message acknowledged -> its copy posted to the incident's Slack channel (the effect every
//!   dashboard message has), on an incident with 1,000 events against a fresh one, alternated.
//!
//! A benchmark: it prints figures and asserts nothing beyond every request succeeding. The
//! server is `wrangler dev`, or plain workerd without the inspector with
//! `INCIDENTD_DEV_SERVER=plain`. `cargo run --release -p incidentd-e2e --bin bench-drain`
//! (needs `scripts/build`).

use incidentctl::Client;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_e2e::slack::{connect, start_with_slack, ADMIN_TOKEN};
use incidentd_e2e::{create_incident, percentile, poll, DevServer, LocalWorker};
use incidentd_testkit::FakeSlack;
use serde_json::json;
use sluice::native::RecordingServer;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DRAIN_SAMPLES: usize = 40;
const THREADS: usize = 16;
const INCIDENTS: usize = 50;
const HISTORY: usize = 1_000;
const HISTORY_SAMPLES: usize = 100;

fn summary(label: &str, mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let p50 = percentile(&samples, 0.5);
    println!(
        "{label:<58} n={:<4} p50={p50:>7.1} ms  p90={:>7.1} ms  p99={:>7.1} ms",
        samples.len(),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
    );
    p50
}

/// Create acknowledged -> its webhook request at `hooks`, `DRAIN_SAMPLES` times.
fn drain_latency(client: &Client, hooks: &RecordingServer, label: &str) -> f64 {
    let mut samples = Vec::with_capacity(DRAIN_SAMPLES);
    for n in 0..DRAIN_SAMPLES {
        let id = create_incident(client, &format!("drain probe {n}"));
        let acknowledged = Instant::now();
        let key = format!("{id}:1:webhook");
        let deadline = acknowledged + Duration::from_secs(60);
        loop {
            let arrived = hooks
                .requests()
                .iter()
                .find(|r| r.header("idempotency-key") == Some(key.as_str()))
                .map(|r| r.received_at);
            if let Some(at) = arrived {
                samples.push(at.saturating_duration_since(acknowledged).as_secs_f64() * 1_000.0);
                break;
            }
            assert!(Instant::now() < deadline, "no webhook for {id} within 60 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    summary(label, samples)
}

/// Posts a message; its acknowledgement time in ms, when it was acknowledged, its event id.
fn post_message(client: &Client, id: &str, message_id: &str) -> (f64, Instant, i64) {
    let started = Instant::now();
    let reply = client
        .post(
            &format!("/dashboard/incidents/{id}/messages"),
            &json!({ "message": "m", "message_id": message_id }),
        )
        .expect("message");
    let acknowledged = Instant::now();
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let event_id = reply.body["event_id"].as_i64().expect("an event id");
    let ms = acknowledged.duration_since(started).as_secs_f64() * 1_000.0;
    (ms, acknowledged, event_id)
}

fn add_message(client: &Client, id: &str, message_id: &str) -> f64 {
    post_message(client, id, message_id).0
}

/// When each dashboard message's Slack copy reached the fake, by `(incident, event id)`:
/// recorded as calls arrive (the fake's fault hook sees every call and injects nothing).
type Arrivals = Arc<Mutex<HashMap<(String, i64), Instant>>>;

fn record_message_posts(slack: &FakeSlack) -> Arrivals {
    let arrivals: Arrivals = Arc::default();
    let recorded = arrivals.clone();
    slack.fail_when(move |call| {
        if call.method == "chat.postMessage" {
            let posted = PostedFor::of_message(&json!({ "metadata": call.body["metadata"] }));
            if let Some(p) = posted.filter(|p| p.part == part::DASHBOARD_MESSAGE) {
                let mut arrivals = recorded.lock().expect("arrivals lock");
                arrivals
                    .entry((p.incident_id, p.event_id))
                    .or_insert(call.received_at);
            }
        }
        None
    });
    arrivals
}

/// Message ack and message -> Slack copy, on an incident with `HISTORY` events against a fresh
/// one; returns the four p50s (ack long, ack fresh, drain long, drain fresh).
fn history() -> [f64; 4] {
    let slack = FakeSlack::start();
    let arrivals = record_message_posts(&slack);
    let worker = start_with_slack("bench-drain-history", &slack);
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "connect: {:?}", connected.body);
    let client = worker.client("demo");
    let long = create_incident(&client, "a long history");
    for n in 0..HISTORY - 1 {
        add_message(&client, &long, &format!("history-{n}"));
    }
    // The backlog drains first: every history message copied to Slack.
    let posted = |id: &str| {
        let arrivals = arrivals.lock().expect("arrivals lock");
        arrivals.keys().filter(|(i, _)| i == id).count()
    };
    poll(Duration::from_secs(600), || {
        (posted(&long) >= HISTORY - 1).then_some(())
    })
    .expect("the history's Slack copies within 10 minutes");
    let fresh = create_incident(&client, "a fresh incident");
    let (mut acks, mut drains) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for n in 0..HISTORY_SAMPLES {
        for (k, id) in [&long, &fresh].into_iter().enumerate() {
            let (ms, acknowledged, event_id) = post_message(&client, id, &format!("probe-{k}-{n}"));
            acks[k].push(ms);
            let key = (id.clone(), event_id);
            let arrived = poll(Duration::from_secs(60), || {
                arrivals.lock().expect("arrivals lock").get(&key).copied()
            })
            .unwrap_or_else(|| panic!("no Slack copy of {key:?} within 60 s"));
            drains[k].push(
                arrived
                    .saturating_duration_since(acknowledged)
                    .as_secs_f64()
                    * 1_000.0,
            );
        }
    }
    let [ack_long, ack_fresh] = acks;
    let [drain_long, drain_fresh] = drains;
    [
        summary(
            &format!("message ack, incident with {HISTORY}+ events"),
            ack_long,
        ),
        summary("message ack, fresh incident (alternated)", ack_fresh),
        summary(
            &format!("message ack -> Slack copy, incident with {HISTORY}+ events"),
            drain_long,
        ),
        summary(
            "message ack -> Slack copy, fresh incident (alternated)",
            drain_fresh,
        ),
    ]
}

fn main() {
    let hooks = RecordingServer::start(Vec::new());
    let worker = LocalWorker::start_with_vars("bench-drain", &[("WEBHOOK_URL", &hooks.url)]);
    println!("drain and history on {}", DevServer::from_env().describe());
    let client = worker.client("demo");
    for n in 0..5 {
        create_incident(&client, &format!("warm-up {n}"));
    }

    let idle = drain_latency(&client, &hooks, "create ack -> webhook request, sequential");

    // The same under load: 16 threads posting messages over 50 incidents meanwhile.
    let incidents: Vec<String> = (0..INCIDENTS)
        .map(|i| create_incident(&client, &format!("load incident {i}")))
        .collect();
    let stop = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);
    let loaded = std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (stop, sent, incidents, client) = (&stop, &sent, &incidents, &client);
            scope.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let n = sent.fetch_add(1, Ordering::Relaxed);
                    add_message(client, &incidents[i % INCIDENTS], &format!("load-{n}"));
                    i += THREADS;
                }
            });
        }
        let label = format!("create ack -> webhook request, under {THREADS}-thread load");
        let p50 = drain_latency(&client, &hooks, &label);
        stop.store(true, Ordering::Relaxed);
        p50
    });
    println!(
        "  ({} messages acknowledged during the loaded run)",
        sent.load(Ordering::Relaxed)
    );

    drop(worker);
    let [ack_long, ack_fresh, drain_long, drain_fresh] = history();
    println!(
        "drain p50 sequential {idle:.1} ms (budget 50 ms), under load {loaded:.1} ms; history ratios (budget 1.2x): ack {:.2}x, drain {:.2}x",
        ack_long / ack_fresh,
        drain_long / drain_fresh
    );
}
