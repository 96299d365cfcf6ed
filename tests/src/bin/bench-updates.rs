//! Acknowledgement time of updates and creates on local workerd, sequential and concurrent:
//!
//! - `POST /dashboard/incidents/:id/messages` sequentially on one incident;
//! - the same from 16 threads spread over 50 incidents;
//! - `POST /dashboard/incidents` sequentially, and from 16 threads.
//!
//! A benchmark, not a test: it prints median, p90, p99 and requests/s, and asserts nothing
//! beyond every request succeeding. The one failure it counts instead: local workerd's 503
//! "Your worker restarted mid-request", which it answers now and then under concurrent load
//! (the bare workers get it too); such requests are left out of the figures and reported.
//!
//! `cargo run --release -p incidentd-e2e --bin bench-updates [-- <sequential> <concurrent>]`
//! (defaults 200 and 800; needs `scripts/build`).

use incidentctl::Client;
use incidentd_e2e::{create_incident, percentile, LocalWorker};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

const THREADS: usize = 16;
const INCIDENTS: usize = 50;

fn report(label: &str, mut samples: Vec<f64>, wall_secs: f64) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<44} n={:<5} median={:>7.2} ms  p90={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms  {:>7.1} req/s",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or(f64::NAN),
        samples.len() as f64 / wall_secs
    );
}

/// Runs `request(i)` for i in 0..n from `threads` threads; each must answer `expect` (or the
/// local runtime's 503, counted and printed). Returns the latencies (ms) and the wall time (s).
fn run(
    n: usize,
    threads: usize,
    expect: u16,
    request: impl Fn(usize) -> incidentctl::Reply + Sync,
) -> (Vec<f64>, f64) {
    let next = AtomicUsize::new(0);
    let restarted = AtomicUsize::new(0);
    let samples = Mutex::new(Vec::with_capacity(n));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let start = Instant::now();
                let reply = request(i);
                let ms = start.elapsed().as_secs_f64() * 1_000.0;
                // Not incidentd's answer (its errors are JSON): the runtime's plain-text 503.
                if reply.status == 503 && reply.body.is_null() {
                    restarted.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                assert_eq!(
                    reply.status, expect,
                    "request {i} failed during the benchmark: {:?}",
                    reply.body
                );
                samples.lock().unwrap().push(ms);
            });
        }
    });
    let wall = started.elapsed().as_secs_f64();
    let restarted = restarted.into_inner();
    if restarted > 0 {
        println!("  ({restarted} requests answered 503 \"worker restarted mid-request\" by the local runtime, left out)");
    }
    (samples.into_inner().unwrap(), wall)
}

fn message(client: &Client, id: &str, tag: &str, i: usize) -> incidentctl::Reply {
    client
        .post(
            &format!("/dashboard/incidents/{id}/messages"),
            &json!({ "message": format!("bench update {i}"), "message_id": format!("{tag}-{i}") }),
        )
        .expect("message request")
}

fn create(client: &Client, tag: &str, i: usize) -> incidentctl::Reply {
    client
        .post(
            "/dashboard/incidents",
            &json!({ "prompt": format!("bench {tag} incident {i}") }),
        )
        .expect("create request")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let sequential: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let concurrent: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let worker = LocalWorker::start("bench-updates");
    let client = worker.client("demo");

    // Warm up: isolate start, wasm compile, the first objects and the D1 tenant lookup.
    let warm = create_incident(&client, "bench warm-up");
    for i in 0..20 {
        create(&client, "warm", i);
        message(&client, &warm, "warm", i);
    }

    let one = create_incident(&client, "bench: one incident, sequential updates");
    let many: Vec<String> = (0..INCIDENTS)
        .map(|i| create_incident(&client, &format!("bench: concurrent updates {i}")))
        .collect();

    println!(
        "local workerd (wrangler dev), loopback, {THREADS} threads for the concurrent runs, {INCIDENTS} incidents"
    );
    let (samples, wall) = run(sequential, 1, 201, |i| message(&client, &one, "seq", i));
    // Does an update get slower as the incident's timeline grows? (Samples are in send order.)
    let quarter = (samples.len() / 4).max(1);
    let median_of = |part: &[f64]| {
        let mut part = part.to_vec();
        part.sort_by(f64::total_cmp);
        percentile(&part, 0.5)
    };
    let (first, last) = (
        median_of(&samples[..quarter]),
        median_of(&samples[samples.len() - quarter..]),
    );
    report("message, sequential on one incident", samples, wall);
    println!(
        "{:<44} median of the first {quarter}: {first:.2} ms, of the last {quarter}: {last:.2} ms",
        "  (timeline growth)"
    );
    let (samples, wall) = run(concurrent, THREADS, 201, |i| {
        message(&client, &many[i % INCIDENTS], "conc", i)
    });
    report(
        &format!("message, {THREADS} threads over {INCIDENTS} incidents"),
        samples,
        wall,
    );
    let (samples, wall) = run(concurrent.min(400), THREADS, 201, |i| {
        message(&client, &one, "hot", i)
    });
    report(
        &format!("message, {THREADS} threads on one incident"),
        samples,
        wall,
    );
    let (samples, wall) = run(sequential, 1, 201, |i| create(&client, "seq", i));
    report("create, sequential", samples, wall);
    let (samples, wall) = run(concurrent, THREADS, 201, |i| create(&client, "conc", i));
    report(&format!("create, {THREADS} threads"), samples, wall);
}
