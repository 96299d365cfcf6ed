//! Slack end to end on local workerd: the worker's Slack API URL points at a `FakeSlack` on
//! 127.0.0.1, the workspace is connected through the operator route, and Slack's requests are
//! signed as Slack signs them.

use incidentd_adapters::slack::admin::{ConnectRequest, INSTALLATIONS_PATH};
use incidentd_adapters::slack::blocks::part;
use incidentd_adapters::slack::events::HEADER_RETRY_NUM;
use incidentd_adapters::slack::metadata::PostedFor;
use incidentd_adapters::slack::secret::Secret;
use incidentd_adapters::slack::signature::{self, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use incidentd_e2e::{list_summaries, percentile, poll, send_raw, LocalWorker};
use incidentd_runtime::native::{
    FakeChannel, FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SIGNING_SECRET: &str = "e2e-slack-signing-secret-5f1c9a";
const ADMIN_TOKEN: &str = "e2e-operator-token-77aa01";
/// Base64 of 32 bytes of 5.
const TOKEN_KEY: &str = "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";

fn start(name: &str, slack: &FakeSlack) -> LocalWorker {
    LocalWorker::start_with_secrets(
        name,
        &[("SLACK_API_URL", &slack.api_url())],
        &[
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", TOKEN_KEY),
            ("ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    )
}

fn connect(worker: &LocalWorker, admin_token: &str) -> incidentctl::Reply {
    let request = ConnectRequest {
        tenant: "demo".into(),
        team_id: FAKE_TEAM_ID.into(),
        enterprise_id: None,
        app_id: None,
        bot_user_id: FAKE_BOT_USER_ID.into(),
        scopes: String::new(),
        bot_token: Secret::new(FAKE_BOT_TOKEN),
        archive_on_close: false,
    };
    incidentctl::send_as_operator(
        &worker.base_url(),
        admin_token,
        "POST",
        INSTALLATIONS_PATH,
        &request.to_body(),
    )
    .expect("the worker answers")
}

/// Posts `body` to `/slack/events` signed with `secret`, plus `extra` headers.
fn deliver(
    worker: &LocalWorker,
    body: &Value,
    secret: &str,
    extra: &[(&str, String)],
) -> (u16, Value) {
    let body = body.to_string();
    let ts = incidentctl::now_secs();
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (HEADER_TIMESTAMP.to_owned(), ts.to_string()),
        (
            HEADER_SIGNATURE.to_owned(),
            signature::sign(secret.as_bytes(), ts, body.as_bytes()),
        ),
    ];
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    send_raw(
        &worker.base_url(),
        "POST",
        "/slack/events",
        &headers,
        body.as_bytes(),
    )
    .expect("answered")
}

fn mention(team: &str, event_id: &str, channel: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "event_callback", "team_id": team, "api_app_id": "A0E2E", "event_id": event_id,
        "event_time": incidentctl::now_secs(),
        "event": { "type": "app_mention", "user": "U0ALICE", "text": text, "ts": ts, "channel": channel },
    })
}

/// Incident channels (everything the fake created) holding a pinned announcement.
fn announced_channels(slack: &FakeSlack) -> Vec<FakeChannel> {
    slack
        .calls_to("conversations.create")
        .iter()
        .filter_map(|call| slack.channel_named(call.arg("name")))
        .filter(|c| {
            c.messages.iter().any(|m| {
                c.pins.contains(&m.ts)
                    && PostedFor::of_message(&json!({ "metadata": m.metadata }))
                        .is_some_and(|p| p.part == part::ANNOUNCEMENT)
            })
        })
        .collect()
}

/// Mentions the bot in #general and returns the event's body and the mention's ts.
fn new_mention(slack: &FakeSlack, general: &str, event_id: &str, what: &str) -> Value {
    let text = format!("<@{FAKE_BOT_USER_ID}> {what}");
    let ts = slack.add_user_message(general, "U0ALICE", &text, None);
    mention(FAKE_TEAM_ID, event_id, general, &ts, &text)
}

#[test]
fn a_signed_mention_declares_one_incident_with_one_pinned_announcement_however_often_slack_retries()
{
    let slack = FakeSlack::start();
    let worker = start("slack-declare", &slack);
    assert_eq!(connect(&worker, "wrong-token").status, 401);
    let connected = connect(&worker, ADMIN_TOKEN);
    assert_eq!(connected.status, 201, "{:?}", connected.body);
    assert!(!connected.body.to_string().contains(FAKE_BOT_TOKEN));

    let general = slack.add_channel("general");
    let event = new_mention(&slack, &general, "Ev0E2E1", "checkout is failing");
    let challenge = json!({ "type": "url_verification", "token": "t", "challenge": "c-42" });
    assert_eq!(
        deliver(&worker, &challenge, SIGNING_SECRET, &[]),
        (200, json!({ "challenge": "c-42" }))
    );

    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
    // Slack's retries of the same event, as if the first answer had been lost.
    for retry in 1..=3 {
        let headers = [
            (HEADER_RETRY_NUM, retry.to_string()),
            ("x-slack-retry-reason", "http_timeout".to_owned()),
        ];
        assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &headers).0, 200);
    }
    let announced = poll(Duration::from_secs(30), || {
        let channels = announced_channels(&slack);
        (!channels.is_empty()).then_some(channels)
    })
    .unwrap_or_else(|| {
        panic!(
            "no announcement; calls {:?}\nlog:\n{}",
            slack.calls(),
            worker.log()
        )
    });
    // Let any duplicate the retries might have caused show up before counting.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(announced.len(), 1);
    assert_eq!(worker.durable_object_count(), 1, "one incident");
    assert_eq!(
        slack.calls_to("conversations.create").len(),
        1,
        "one channel"
    );
    assert_eq!(slack.calls_to("pins.add").len(), 1);
    let channel = slack.channel(&announced[0].id).unwrap();
    assert_eq!(channel.messages.len(), 1, "one announcement");
    assert!(channel.members.contains(&"U0ALICE".to_owned()));
    let source = slack.channel(&general).unwrap();
    let replies = source
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_some())
        .count();
    assert_eq!(replies, 1, "one answer in the declaring thread");
    assert_eq!(source.messages[0].reactions, ["fire"]);
    let listed = poll(Duration::from_secs(10), || {
        let list = list_summaries(&worker.client("demo"));
        (!list.is_empty()).then_some(list)
    })
    .expect("the incident is listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["title"], "checkout is failing");

    // A change from the dashboard re-renders the announcement and is noted in the channel.
    let id = listed[0]["id"].as_str().unwrap();
    let changed = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/severity"),
            &json!({ "severity": "low" }),
        )
        .unwrap();
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let noted = poll(Duration::from_secs(30), || {
        let channel = slack.channel(&announced[0].id).unwrap();
        (channel.messages.len() == 2).then_some(channel)
    })
    .unwrap_or_else(|| panic!("no severity note; log:\n{}", worker.log()));
    assert!(
        noted.messages[1].text.contains("Severity changed"),
        "{:?}",
        noted.messages[1]
    );
    assert_eq!(
        slack.calls_to("chat.update").len(),
        2,
        "the channel's and the thread's copy"
    );

    // Latency from a signed mention to its announcement pinned at the fake.
    let mut samples = Vec::new();
    for n in 0..5 {
        let event = new_mention(
            &slack,
            &general,
            &format!("Ev0LAT{n}"),
            &format!("latency probe {n}"),
        );
        let pins = slack.calls_to("pins.add").len();
        let started = Instant::now();
        assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
        let pinned = poll(Duration::from_secs(30), || {
            (slack.calls_to("pins.add").len() > pins).then(|| started.elapsed())
        });
        samples.push(pinned.expect("announced").as_secs_f64() * 1_000.0);
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "mention → pinned announcement at the fake: p50 {:.0} ms, max {:.0} ms ({} samples)",
        percentile(&samples, 0.5),
        percentile(&samples, 1.0),
        samples.len()
    );
}

#[test]
fn unknown_workspaces_and_bad_signatures_write_nothing() {
    let slack = FakeSlack::start();
    let worker = start("slack-refusals", &slack);
    assert_eq!(connect(&worker, ADMIN_TOKEN).status, 201);
    let general = slack.add_channel("general");

    let stranger = mention("T0STRANGER", "Ev0S1", &general, "1.0", "<@U0X> db down");
    assert_eq!(deliver(&worker, &stranger, SIGNING_SECRET, &[]).0, 200);
    let forged = new_mention(&slack, &general, "Ev0F1", "db down");
    let (status, body) = deliver(&worker, &forged, "not-the-secret", &[]);
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("UNAUTHORIZED"))
    );
    let unsigned = send_raw(
        &worker.base_url(),
        "POST",
        "/slack/events",
        &[],
        forged.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(unsigned.0, 401);

    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(worker.durable_object_count(), 0, "no incident object");
    assert!(list_summaries(&worker.client("demo")).is_empty());
    assert!(
        slack.calls().is_empty(),
        "nothing sent to Slack: {:?}",
        slack.calls()
    );
}

#[test]
fn neither_tokens_nor_secrets_reach_the_worker_log() {
    let slack = FakeSlack::start();
    let worker = start("slack-log", &slack);
    assert_eq!(connect(&worker, ADMIN_TOKEN).status, 201);
    assert_eq!(connect(&worker, "wrong").status, 401);
    let general = slack.add_channel("general");
    let event = new_mention(&slack, &general, "Ev0L1", "checkout is failing");
    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
    assert_eq!(deliver(&worker, &event, "forged", &[]).0, 401);
    poll(Duration::from_secs(30), || {
        (!announced_channels(&slack).is_empty()).then_some(())
    })
    .unwrap_or_else(|| panic!("no announcement; log:\n{}", worker.log()));

    let log = worker.log();
    assert!(
        log.contains("slack events"),
        "the worker did log its Slack work:\n{log}"
    );
    for (what, secret) in [
        ("bot token", FAKE_BOT_TOKEN),
        ("signing secret", SIGNING_SECRET),
        ("operator token", ADMIN_TOKEN),
        ("token key", TOKEN_KEY),
    ] {
        assert!(!log.contains(secret), "the {what} is in the worker log");
    }
}
