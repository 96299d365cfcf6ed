//! Effect lanes on local workerd: with Slack down, the status page and the webhook keep their
//! pace, the workflow view says what Slack's lane is doing, the incident closes and is archived
//! and analysed; once Slack is back and the held event is retried, the channel receives what
//! was held, in order, once each.

use incidentd_e2e::slack::{connect, ADMIN_TOKEN, SIGNING_SECRET, TOKEN_KEY};
use incidentd_e2e::{create_incident, poll, LocalWorker};
use incidentd_testkit::{FakeSlack, Fault, SlackCall};
use serde_json::{json, Value};
use sluice::native::{RecordingServer, Scripted};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the fake Slack does with every call.
const UP: u8 = 0;
/// HTTP 500: retryable, Slack's lane retries.
const DOWN: u8 = 1;
/// `account_inactive`: refused for good, Slack's lane holds at once.
const REFUSING: u8 = 2;

fn slack_mode(slack: &FakeSlack, mode: Arc<AtomicU8>) {
    slack.fail_when(move |_: &SlackCall| match mode.load(Ordering::SeqCst) {
        DOWN => Some(Fault::ServerError),
        REFUSING => Some(Fault::Error("account_inactive".into())),
        _ => None,
    });
}

fn post(client: &incidentctl::Client, path: &str, body: Value) -> Value {
    let reply = client.post(path, &body).expect("post");
    assert!(
        reply.is_success(),
        "{path}: {} {:?}",
        reply.status,
        reply.body
    );
    reply.body
}

fn lane(client: &incidentctl::Client, id: &str, effect: &str) -> Value {
    let reply = client
        .get(&format!("/dashboard/incidents/{id}/workflow"))
        .expect("workflow");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["lanes"]
        .as_array()
        .and_then(|lanes| lanes.iter().find(|l| l["effect"] == effect).cloned())
        .unwrap_or_else(|| panic!("no {effect} lane in {:?}", reply.body))
}

fn summary_json(worker: &LocalWorker) -> String {
    let url = format!("{}/status/demo/summary.json", worker.base_url());
    ureq::get(&url)
        .call()
        .expect("summary.json")
        .into_string()
        .expect("text")
}

#[test]
fn with_slack_down_other_lanes_keep_pace_and_slack_drains_in_order_once_retried() {
    let slack = FakeSlack::start();
    let webhook = RecordingServer::answering(|_| Scripted::status(200));
    let hook = format!("{}/hook", webhook.url);
    let worker = LocalWorker::start_with_secrets(
        "lanes-slack-down",
        &[("SLACK_API_URL", &slack.api_url()), ("WEBHOOK_URL", &hook)],
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    );
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "{:?}", connected.body);
    let mode = Arc::new(AtomicU8::new(DOWN));
    slack_mode(&slack, mode.clone());
    let client = worker.client("demo");

    // Slack down: the incident and its affection still reach the webhook and the status page.
    let id = create_incident(&client, "checkout is failing");
    let affection_sent = Instant::now();
    post(
        &client,
        &format!("/dashboard/incidents/{id}/affection"),
        json!({
            "title": "Checkout degraded",
            "services": [{ "id": "checkout", "impact": "major" }],
            "message": "We are investigating failed checkouts."
        }),
    );
    poll(Duration::from_secs(20), || {
        summary_json(&worker)
            .contains("Checkout degraded")
            .then_some(())
    })
    .unwrap_or_else(|| panic!("the affection never went public; log:\n{}", worker.log()));
    let public_after = affection_sent.elapsed();
    println!("affection public {public_after:?} after its acknowledgement, Slack down");
    let webhook_key = format!("{id}:1:webhook");
    poll(Duration::from_secs(20), || {
        webhook
            .requests()
            .iter()
            .any(|r| r.header("idempotency-key") == Some(webhook_key.as_str()))
            .then_some(())
    })
    .expect("the webhook got the incident while Slack was down");

    // The workflow view says Slack's lane is retrying, and why.
    let retrying = poll(Duration::from_secs(30), || {
        let slack_lane = lane(&client, &id, "slack");
        (slack_lane["state"] == "retrying").then_some(slack_lane)
    })
    .unwrap_or_else(|| panic!("Slack's lane never retried; log:\n{}", worker.log()));
    assert_eq!(retrying["event_id"], 1, "{retrying}");
    assert!(retrying["next_retry_at"].is_i64(), "{retrying}");
    assert_eq!(lane(&client, &id, "status_page")["state"], "ok");

    // Slack now refuses for good: its lane holds, with the later events behind it.
    mode.store(REFUSING, Ordering::SeqCst);
    for n in 1..=3 {
        post(
            &client,
            &format!("/dashboard/incidents/{id}/messages"),
            json!({ "message": format!("held note {n}"), "message_id": format!("m-{n}") }),
        );
    }
    let held = poll(Duration::from_secs(360), || {
        let slack_lane = lane(&client, &id, "slack");
        (slack_lane["state"] == "held"
            && slack_lane["held_events"].as_array().map_or(0, Vec::len) >= 3)
            .then_some(slack_lane)
    })
    .unwrap_or_else(|| panic!("Slack's lane never held; log:\n{}", worker.log()));
    assert_eq!(held["event_id"], 1, "{held}");
    let summary = held["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("held behind slack.incident_created:1")
            && summary.contains("account_inactive"),
        "{summary}"
    );

    // The close goes on without Slack: the incident is analysed (after its archive), while
    // its object stays to keep what Slack's lane holds.
    post(
        &client,
        &format!("/dashboard/incidents/{id}/status"),
        json!({ "status": "resolved", "message": "fixed" }),
    );
    poll(Duration::from_secs(120), || {
        let analysis = client
            .get(&format!("/dashboard/incidents/{id}/analysis"))
            .ok()?;
        (analysis.status == 200).then_some(())
    })
    .unwrap_or_else(|| panic!("never analysed; log:\n{}", worker.log()));
    assert_eq!(lane(&client, &id, "slack")["state"], "held");
    assert!(
        slack.calls_to("chat.postMessage").is_empty(),
        "nothing reached Slack while it refused"
    );

    // Slack is back; the operator retries the held event: everything held arrives, in order.
    mode.store(UP, Ordering::SeqCst);
    let failed = client
        .get(&format!("/dashboard/incidents/{id}/failed-effects"))
        .expect("failed effects");
    let listed: Vec<(i64, String)> = failed.body["failed_effects"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| (f["event_id"].as_i64().unwrap_or(0), f["effect"].to_string()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, [(1, "\"slack\"".to_owned())], "{:?}", failed.body);
    post(
        &client,
        &format!("/dashboard/incidents/{id}/failed-effects/1/slack/retry"),
        json!({}),
    );
    let notes = poll(Duration::from_secs(120), || {
        let channel = slack
            .calls_to("conversations.create")
            .iter()
            .find_map(|call| slack.channel_named(call.arg("name")))?;
        let notes: Vec<String> = channel
            .messages
            .iter()
            .filter_map(|m| m.text.split("held note ").nth(1).map(str::to_owned))
            .collect();
        (notes.len() >= 3).then_some(notes)
    })
    .unwrap_or_else(|| {
        panic!(
            "the held events never reached Slack; calls {:?}\nlog:\n{}",
            slack.calls(),
            worker.log()
        )
    });
    let numbers: Vec<&str> = notes
        .iter()
        .map(|n| n.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .collect();
    assert_eq!(numbers, ["1", "2", "3"], "in order, once each: {notes:?}");
    // The failed attempts were calls too: count the channels that exist.
    let mut channels: Vec<String> = slack
        .calls_to("conversations.create")
        .iter()
        .filter_map(|call| slack.channel_named(call.arg("name")).map(|c| c.id))
        .collect();
    channels.sort();
    channels.dedup();
    assert_eq!(channels.len(), 1, "one channel");
    // Released, the object finalises: the incident is served from its archive, and nothing
    // was posted twice meanwhile.
    poll(Duration::from_secs(120), || {
        let shown = client.get(&format!("/dashboard/incidents/{id}")).ok()?;
        (shown.body["archived"] == true).then_some(())
    })
    .unwrap_or_else(|| panic!("never finalised; log:\n{}", worker.log()));
    let channel = slack
        .channel_named(slack.calls_to("conversations.create")[0].arg("name"))
        .expect("the channel");
    let notes = channel
        .messages
        .iter()
        .filter(|m| m.text.contains("held note "))
        .count();
    assert_eq!(notes, 3, "each held note once");
}
