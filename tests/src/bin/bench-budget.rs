//! the budget of docs/BENCHMARKS.md, as ratios against the bare worker built in the same run
//! (`bench/bare`: a Durable Object that inserts one row and sets an alarm):
//! - sequential acknowledgement: an update (message) and a create, over the bare write;
//! - throughput with 16 connections over 50 objects: incidentd updates over bare writes.
//!
//! Rounds alternate between the two workers so drift on a shared machine hits both alike.
//! A benchmark: it prints figures. Run by `scripts/bench` (which builds both workers).

use incidentd_e2e::{create_incident, percentile, DevServer, LocalWorker};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ROUNDS: usize = 6;
const PER_ROUND: usize = 40;
const THREADS: usize = 16;
const OBJECTS: usize = 50;
const LOAD_SECONDS: u64 = 4;

fn median(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn timed(mut request: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    assert!(request(), "a benchmark request failed");
    start.elapsed().as_secs_f64() * 1_000.0
}

/// Requests per second from `THREADS` threads for `LOAD_SECONDS`, `request(i)` spreading over
/// objects.
fn throughput(request: &(dyn Fn(usize) -> bool + Sync)) -> f64 {
    let done = AtomicUsize::new(0);
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let done = &done;
            scope.spawn(move || {
                let mut i = t;
                while Instant::now() < deadline {
                    assert!(request(i), "a load request failed");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += THREADS;
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let bare = LocalWorker::start_bare("budget-bare");
    let incidentd = LocalWorker::start("budget-incidentd");
    let client = incidentd.client("demo");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let bare_url = bare.base_url();
    let bare_write = |i: usize| {
        agent
            .post(&format!("{bare_url}/write/object-{}", i % OBJECTS))
            .call()
            .is_ok()
    };
    let incidents: Vec<String> = (0..OBJECTS)
        .map(|i| create_incident(&client, &format!("budget incident {i}")))
        .collect();
    let message_count = AtomicUsize::new(0);
    let update = |i: usize| {
        let n = message_count.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "message": "m", "message_id": format!("budget-{n}") });
        client
            .post(
                &format!("/dashboard/incidents/{}/messages", incidents[i % OBJECTS]),
                &body,
            )
            .map(|r| r.status == 201)
            .unwrap_or(false)
    };
    let create = |i: usize| {
        client
            .post(
                "/dashboard/incidents",
                &json!({ "prompt": format!("budget create {i}") }),
            )
            .map(|r| r.status == 201)
            .unwrap_or(false)
    };

    // Warm both (isolates, wasm compilation, first objects).
    for i in 0..30 {
        bare_write(i);
        update(i);
    }

    let (mut b, mut u, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for i in 0..PER_ROUND {
            let k = round * PER_ROUND + i;
            b.push(timed(|| bare_write(k)));
            u.push(timed(|| update(k)));
            c.push(timed(|| create(k)));
        }
    }
    let (bare_med, bare_p99) = median(b);
    let (upd_med, upd_p99) = median(u);
    let (cre_med, cre_p99) = median(c);

    let bare_rps = throughput(&bare_write);
    let upd_rps = throughput(&update);
    let bare_rps_2 = throughput(&bare_write);

    println!(
        "docs/BENCHMARKS.md budget on {}, {} sequential samples each, alternated",
        DevServer::from_env().describe(),
        ROUNDS * PER_ROUND
    );
    println!("bare write   median {bare_med:>6.2} ms  p99 {bare_p99:>6.2} ms");
    println!(
        "update       median {upd_med:>6.2} ms  p99 {upd_p99:>6.2} ms   ratio {:.2}x (budget 1.3x)",
        upd_med / bare_med
    );
    println!(
        "create       median {cre_med:>6.2} ms  p99 {cre_p99:>6.2} ms   ratio {:.2}x (budget 1.6x)",
        cre_med / bare_med
    );
    let bare_mean_rps = (bare_rps + bare_rps_2) / 2.0;
    println!(
        "throughput, {THREADS} connections over {OBJECTS} objects, {LOAD_SECONDS} s each: bare {bare_rps:.0} and {bare_rps_2:.0} req/s, updates {upd_rps:.0} req/s   ratio {:.2}x (budget 0.8x)",
        upd_rps / bare_mean_rps
    );
}
