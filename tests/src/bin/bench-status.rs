//! The public status page's serving time on local workerd, against a bare D1 read in the same
//! run: `GET /dashboard/incidents` (one indexed D1 query, plus request signing and its HMAC
//! check) is the D1-read proxy. The demo page carries a few incidents with updates so the
//! page query and the renderers have work to do. A benchmark: it prints figures and asserts
//! nothing about them.
//!
//! `cargo run --release -p incidentd-e2e --bin bench-status [-- <rounds>]` (needs `scripts/build`).

use incidentd_e2e::{create_incident, percentile, poll, LocalWorker};
use serde_json::json;
use std::time::{Duration, Instant};

const INCIDENTS: usize = 5;
const UPDATES_EACH: usize = 3;

fn report(label: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<46} n={:<5} p50={:>6.2} ms  p90={:>6.2} ms  p99={:>6.2} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
    );
}

fn timed(request: impl FnOnce() -> u16) -> f64 {
    let start = Instant::now();
    let status = request();
    let elapsed = start.elapsed().as_secs_f64() * 1_000.0;
    assert!(
        status == 200 || status == 304,
        "status {status} during the benchmark"
    );
    elapsed
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let worker = LocalWorker::start("bench-status");
    let client = worker.client("demo");
    for i in 0..INCIDENTS {
        let id = create_incident(&client, &format!("bench incident {i}"));
        let path = format!("/dashboard/incidents/{id}/affection");
        let created = json!({
            "title": format!("Incident {i}"),
            "services": [{ "id": "checkout", "impact": "partial" }],
            "message": "Investigating."
        });
        client.post(&path, &created).unwrap();
        for u in 1..UPDATES_EACH {
            let update = json!({ "message": format!("Update {u} of incident {i}.") });
            client.post(&format!("{path}/updates"), &update).unwrap();
        }
    }
    let page_url = format!("{}/status/demo", worker.base_url());
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let get = |url: &str, etag: Option<&str>| {
        let mut request = agent.get(url);
        if let Some(etag) = etag {
            request = request.set("if-none-match", etag);
        }
        match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{url}: {e}"),
        }
    };
    let wanted = format!("Update {} of incident {}.", UPDATES_EACH - 1, INCIDENTS - 1);
    poll(Duration::from_secs(30), || {
        get(&page_url, None)
            .into_string()
            .ok()
            .filter(|body| body.contains(&wanted))
    })
    .expect("the page shows every update");

    let page = get(&page_url, None);
    let etag = page.header("etag").unwrap_or_default().to_owned();
    let size = page.into_string().unwrap().len();
    let summary_url = format!("{page_url}/summary.json");
    let feed_url = format!("{page_url}/history.atom");
    let summary_size = get(&summary_url, None).into_string().unwrap().len();
    let feed_size = get(&feed_url, None).into_string().unwrap().len();

    // Alternate the requests so drift on a shared machine hits all of them alike.
    let (mut pages, mut not_modified, mut summaries, mut feeds, mut lists) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        pages.push(timed(|| get(&page_url, None).status()));
        not_modified.push(timed(|| get(&page_url, Some(&etag)).status()));
        summaries.push(timed(|| get(&summary_url, None).status()));
        feeds.push(timed(|| get(&feed_url, None).status()));
        lists.push(timed(|| client.get("/dashboard/incidents").unwrap().status));
    }
    println!(
        "local workerd (wrangler dev), sequential requests over loopback, {rounds} rounds; \
         demo page with {INCIDENTS} incidents x {UPDATES_EACH} updates"
    );
    println!(
        "served sizes: page {size} bytes, summary.json {summary_size} bytes, history.atom {feed_size} bytes"
    );
    report("GET /status/demo (HTML)", pages);
    report("GET /status/demo, If-None-Match (304)", not_modified);
    report("GET /status/demo/summary.json", summaries);
    report("GET /status/demo/history.atom", feeds);
    report("GET /dashboard/incidents (D1-read proxy)", lists);
}
