//! Cold start of a local dev server: from spawning it to its first 2xx on `/healthz`, on a
//! fresh state directory (D1 migrated and seeded before the spawn, not counted). The server
//! compiles the worker's wasm and starts workerd, so this is what a developer waits for after
//! `scripts/run` builds. A benchmark: it prints figures.
//!
//! `cargo run --release -p incidentd-e2e --bin bench-start [-- <starts>]` (default 3;
//! `INCIDENTD_DEV_SERVER=plain` for the server without the inspector).

use incidentd_e2e::{percentile, DevServer, LocalWorker};

fn main() {
    let starts: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("starts: a number"))
        .unwrap_or(3);
    let mut ms: Vec<f64> = (0..starts)
        .map(|i| {
            let worker = LocalWorker::start(&format!("cold-start-{i}"));
            worker.ready_after.as_secs_f64() * 1_000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "cold start on {}, spawn -> first 2xx, {starts} starts: p50 {:.0} ms, p95 {:.0} ms, min {:.0} ms, max {:.0} ms",
        DevServer::from_env().describe(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[0],
        ms[ms.len() - 1]
    );
}
