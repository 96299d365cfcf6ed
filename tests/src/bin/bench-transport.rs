//! The hop from the router to the Incident Durable Object over its two transports, on local
//! workerd, in one run: the same build started twice, once with `OBJECT_TRANSPORT=rpc`
//! (Durable Object RPC, the default) and once with `OBJECT_TRANSPORT=fetch` (`stub.fetch`).
//! Rounds alternate so drift hits both alike. A benchmark: it prints figures, asserts nothing.

use incidentd_e2e::{create_incident, percentile, LocalWorker};
use serde_json::json;
use std::time::Instant;

const ROUNDS: usize = 6;
const PER_ROUND: usize = 40;

fn p50_p99(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn timed(request: impl FnOnce() -> bool) -> f64 {
    let start = Instant::now();
    assert!(request(), "a benchmark request failed");
    start.elapsed().as_secs_f64() * 1_000.0
}

struct Target {
    name: &'static str,
    worker: LocalWorker,
    incident: String,
    reads: Vec<f64>,
    updates: Vec<f64>,
}

fn main() {
    let mut targets: Vec<Target> = ["rpc", "fetch"]
        .into_iter()
        .map(|name| {
            let worker = LocalWorker::start_with_vars(
                &format!("transport-{name}"),
                &[("OBJECT_TRANSPORT", name)],
            );
            let incident = create_incident(&worker.client("demo"), "transport benchmark");
            Target {
                name,
                worker,
                incident,
                reads: Vec::new(),
                updates: Vec::new(),
            }
        })
        .collect();
    let mut n = 0;
    let mut update = |t: &Target| {
        n += 1;
        let body = json!({ "message": "m", "message_id": format!("transport-{n}") });
        t.worker
            .client("demo")
            .post(
                &format!("/dashboard/incidents/{}/messages", t.incident),
                &body,
            )
            .map(|r| r.status == 201)
            .unwrap_or(false)
    };
    let read = |t: &Target| {
        t.worker
            .client("demo")
            .get(&format!("/dashboard/incidents/{}/dead-letters", t.incident))
            .map(|r| r.status == 200)
            .unwrap_or(false)
    };
    for t in &targets {
        for _ in 0..20 {
            update(t);
            read(t);
        }
    }
    for _ in 0..ROUNDS {
        for t in &mut targets {
            for _ in 0..PER_ROUND {
                let r = timed(|| read(t));
                t.reads.push(r);
                let u = timed(|| update(t));
                t.updates.push(u);
            }
        }
    }
    println!(
        "router -> Incident object transports under `wrangler dev`, {} samples each, alternated",
        ROUNDS * PER_ROUND
    );
    for t in &targets {
        let (r50, r99) = p50_p99(t.reads.clone());
        let (u50, u99) = p50_p99(t.updates.clone());
        println!(
            "{:<6} dead-letter read p50 {r50:>6.2} ms p99 {r99:>6.2} ms   message update p50 {u50:>6.2} ms p99 {u99:>6.2} ms",
            t.name
        );
    }
}
