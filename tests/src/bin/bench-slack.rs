//! Slack declaration latency on local workerd: the worker talks to a `FakeSlack` on 127.0.0.1,
//! the fake workspace is connected through the operator route, then a signed `app_mention`
//! declares a new incident, sequentially `n` times. For each it measures the acknowledgement
//! (`POST /slack/events` answered) and the time until the announcement (`chat.postMessage` in
//! the incident's new channel) reaches the fake: the receiver's commit, the outbox alarm, the
//! IncidentWorkflow and the Slack sender's `conversations.create`, invite and post.
//!
//! A benchmark, not a test: it prints p50, p90 and max and asserts nothing beyond every step
//! succeeding. `cargo run --release -p incidentd-e2e --bin bench-slack [-- <mentions>]`
//! (default 20; needs `scripts/build`).

use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_e2e::slack::{
    connect, deliver, new_mention, start_with_slack, ADMIN_TOKEN, SIGNING_SECRET,
};
use incidentd_e2e::{percentile, DevServer, LocalWorker};
use incidentd_testkit::FakeSlack;
use serde_json::json;
use std::time::{Duration, Instant};

/// Mentions the bot in `channel` (at the fake, then as Slack's signed event); returns how long
/// the worker took to acknowledge, in ms.
fn mention(worker: &LocalWorker, slack: &FakeSlack, channel: &str, n: usize) -> f64 {
    let event = new_mention(
        slack,
        channel,
        &format!("Ev0BENCH{n}"),
        &format!("bench incident {n}"),
    );
    let started = Instant::now();
    let (status, answer) = deliver(worker, &event, SIGNING_SECRET, &[]);
    assert_eq!(status, 200, "mention {n}: {answer}");
    started.elapsed().as_secs_f64() * 1_000.0
}

/// Announcements at the fake so far: `chat.postMessage` calls marked as one, outside `general`.
fn announcements(slack: &FakeSlack, general: &str) -> usize {
    slack
        .calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.arg("channel") != general)
        .filter(|c| {
            PostedFor::of_message(&json!({ "metadata": c.body["metadata"] }))
                .is_some_and(|p| p.part == part::ANNOUNCEMENT)
        })
        .count()
}

/// When `arrived` first holds, checked every 5 ms (the harness's `poll` steps 100 ms: too
/// coarse for a latency); `None` after a minute.
fn arrival(arrived: impl Fn() -> bool, started: Instant) -> Option<Duration> {
    while started.elapsed() < Duration::from_secs(60) {
        if arrived() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn report(label: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<44} n={:<3} p50={:>7.1} ms  p90={:>7.1} ms  max={:>7.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        samples.last().copied().unwrap_or(f64::NAN),
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let slack = FakeSlack::start();
    let worker = start_with_slack("bench-slack", &slack);
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "connect: {:?}", connected.body);
    let general = slack.add_channel("general");

    // Round 0 warms the isolate, the wasm module and the workflow engine; it is not counted.
    let (mut acks, mut announced) = (Vec::new(), Vec::new());
    for round in 0..=n {
        let before = announcements(&slack, &general);
        let started = Instant::now();
        let ack = mention(&worker, &slack, &general, round);
        let arrived = arrival(|| announcements(&slack, &general) > before, started)
            .unwrap_or_else(|| panic!("mention {round}: no announcement; log:\n{}", worker.log()));
        if round > 0 {
            acks.push(ack);
            announced.push(arrived.as_secs_f64() * 1_000.0);
        }
    }
    println!(
        "{} + FakeSlack on loopback, {n} sequential mentions",
        DevServer::from_env().describe()
    );
    report("mention → 200 from POST /slack/events", acks);
    report("mention → announcement at the fake", announced);
}
