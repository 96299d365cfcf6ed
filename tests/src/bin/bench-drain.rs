//! Drain latency and long histories on local workerd (docs/BENCHMARKS.md, items 3 and 4):
//!
//! - create acknowledged -> the example webhook sender's request arriving at a recording
//!   server on 127.0.0.1, sequentially and while 16 threads post messages over 50 incidents;
//! - message acknowledgement on an incident with 1,000 events against a fresh incident.
//!
//! A benchmark: it prints figures and asserts nothing beyond every request succeeding. The
//! server is `wrangler dev`, or plain workerd without the inspector with
//! `INCIDENTD_DEV_SERVER=plain`. `cargo run --release -p incidentd-e2e --bin bench-drain`
//! (needs `scripts/build`).

use incidentctl::Client;
use incidentd_e2e::{create_incident, percentile, DevServer, LocalWorker};
use incidentd_runtime::native::RecordingServer;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

fn add_message(client: &Client, id: &str, message_id: &str) -> f64 {
    let started = Instant::now();
    let reply = client
        .post(
            &format!("/dashboard/incidents/{id}/messages"),
            &json!({ "message": "m", "message_id": message_id }),
        )
        .expect("message");
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    started.elapsed().as_secs_f64() * 1_000.0
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

    // History: acknowledgement on an incident with 1,000 events against a fresh one.
    let long = create_incident(&client, "a long history");
    for n in 0..HISTORY - 1 {
        add_message(&client, &long, &format!("history-{n}"));
    }
    std::thread::sleep(Duration::from_secs(5)); // let the backlog drain first
    let fresh = create_incident(&client, "a fresh incident");
    let (mut on_long, mut on_fresh) = (Vec::new(), Vec::new());
    for n in 0..HISTORY_SAMPLES {
        on_long.push(add_message(&client, &long, &format!("probe-long-{n}")));
        on_fresh.push(add_message(&client, &fresh, &format!("probe-fresh-{n}")));
    }
    let long_p50 = summary(
        &format!("message ack on an incident with {HISTORY}+ events"),
        on_long,
    );
    let fresh_p50 = summary("message ack on a fresh incident (alternated)", on_fresh);
    println!(
        "drain p50 sequential {idle:.1} ms (budget 50 ms), under load {loaded:.1} ms; history ack ratio {:.2}x (budget 1.2x)",
        long_p50 / fresh_p50
    );
}
