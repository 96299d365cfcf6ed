//! Acknowledgement latency on local workerd: sequential signed requests against the built
//! worker, printing percentiles. A benchmark, not a test: it asserts nothing and prints figures.
//!
//! `cargo run --release -p incidentd-e2e --bin bench-ack [-- <requests>]` (needs `scripts/build`).

use incidentd_e2e::LocalWorker;
use serde_json::json;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(label: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    println!(
        "{label:<34} n={:<5} median={:>6.2} ms  p90={:>6.2} ms  p99={:>6.2} ms  mean={:>6.2} ms  min={:>6.2} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
        mean,
        samples[0]
    );
}

fn time(mut request: impl FnMut() -> u16, expect: u16) -> f64 {
    let start = Instant::now();
    let status = request();
    let elapsed = start.elapsed().as_secs_f64() * 1_000.0;
    assert_eq!(status, expect, "unexpected status during the benchmark");
    elapsed
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let worker = LocalWorker::start("bench");
    let client = worker.client("bench");
    let health = format!("{}/healthz", worker.base_url());
    let create = |i: usize| {
        client
            .post(
                "/dashboard/incidents",
                &json!({ "prompt": format!("bench incident {i}") }),
            )
            .unwrap()
    };

    // Warm up: isolate start, wasm compile, first Durable Objects.
    let mut last_id = String::new();
    for i in 0..20 {
        last_id = create(i).body["incident"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ureq::get(&health).call().unwrap();
    }

    // Alternate the kinds of request so drift on a shared machine hits all of them alike.
    let (mut creates, mut reads, mut healths) = (Vec::new(), Vec::new(), Vec::new());
    let get_path = format!("/dashboard/incidents/{last_id}");
    for i in 0..n {
        creates.push(time(|| create(i).status, 201));
        reads.push(time(|| client.get(&get_path).unwrap().status, 200));
        healths.push(time(|| ureq::get(&health).call().unwrap().status(), 200));
    }
    println!("local workerd (wrangler dev), sequential requests over loopback, {n} rounds");
    report("POST /dashboard/incidents (create)", creates);
    report("GET /dashboard/incidents/:id (DO)", reads);
    report("GET /healthz (no DO, baseline)", healths);
}
