//! Slack end to end on local workerd: the worker's Slack API URL points at a `FakeSlack` on
//! 127.0.0.1, the workspace is connected through the operator route, and Slack's requests are
//! signed as Slack signs them.

use incidentd_adapters::slack::inbound::events::HEADER_RETRY_NUM;
use incidentd_e2e::slack::{
    announced_channels, connect, deliver, mention, new_mention, start_with_slack as start,
    ADMIN_TOKEN, EVENTS_PATH, SIGNING_SECRET, TOKEN_KEY,
};
use incidentd_e2e::{list_summaries, percentile, poll, send_raw, LocalWorker};
use incidentd_testkit::{FakeChannel, FakeSlack, Fault, SlackCall, FAKE_BOT_TOKEN};
use serde_json::json;
use std::time::{Duration, Instant};

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

    // A person writes in the incident channel; Slack delivers the event twice (a retry):
    // exactly one timeline message.
    let id = listed[0]["id"].as_str().unwrap();
    let said_ts = slack.add_user_message(&announced[0].id, "U0ALICE", "rolled back 812", None);
    let said = incidentctl::slack::Said {
        user: "U0ALICE",
        channel: &announced[0].id,
        ts: &said_ts,
        text: "rolled back 812",
        thread_ts: None,
    };
    let workspace = incidentctl::slack::Workspace {
        team_id: incidentd_testkit::FAKE_TEAM_ID,
        app_id: "A0E2E",
    };
    let message = incidentctl::slack::message(workspace, "Ev0MSG1", incidentctl::now_secs(), said);
    assert_eq!(deliver(&worker, &message, SIGNING_SECRET, &[]).0, 200);
    let retry = [(HEADER_RETRY_NUM, "1".to_owned())];
    assert_eq!(deliver(&worker, &message, SIGNING_SECRET, &retry).0, 200);
    let timeline = worker
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap()
        .body["timeline"]
        .clone();
    let recorded: Vec<_> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "MESSAGE_ADDED" && e["data"]["message"] == "rolled back 812")
        .collect();
    assert_eq!(recorded.len(), 1, "{timeline}");

    // A change from the dashboard re-renders the announcement and is noted in the channel.
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
        (channel.messages.len() == 3).then_some(channel)
    })
    .unwrap_or_else(|| panic!("no severity note; log:\n{}", worker.log()));
    assert!(
        noted.messages[2].text.contains("Severity changed"),
        "{:?}",
        noted.messages[2]
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
        EVENTS_PATH,
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

/// The announcement's `chat.postMessage` calls for the incident channel `channel`.
fn announcement_posts(slack: &FakeSlack, channel: &str) -> Vec<SlackCall> {
    slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|call| call.arg("channel") == channel)
        .collect()
}

/// Waits for a new announced channel beside `known` ones.
fn next_announced(slack: &FakeSlack, worker: &LocalWorker, known: usize) -> FakeChannel {
    poll(Duration::from_secs(60), || {
        let channels = announced_channels(slack);
        (channels.len() > known).then(|| channels[known].clone())
    })
    .unwrap_or_else(|| {
        panic!(
            "no announcement; calls {:?}\nlog:\n{}",
            slack.calls(),
            worker.log()
        )
    })
}

#[test]
fn a_failed_post_is_made_once_and_a_rate_limit_is_waited_out_on_workerd() {
    let slack = FakeSlack::start();
    let worker = start("slack-faults", &slack);
    assert_eq!(connect(&worker, ADMIN_TOKEN).status, 201);
    let general = slack.add_channel("general");

    // Slack answers 500 to the announcement, then OK: the retry checks the channel's history
    // for the post's metadata first, and posts it once.
    slack.fail_next("chat.postMessage", 1, Fault::ServerError);
    let event = new_mention(&slack, &general, "Ev0FAULT1", "payments are down");
    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
    let first = next_announced(&slack, &worker, 0);
    std::thread::sleep(Duration::from_secs(2));
    let channel = slack.channel(&first.id).unwrap();
    assert_eq!(channel.messages.len(), 1, "one announcement");
    assert_eq!(
        announcement_posts(&slack, &first.id).len(),
        2,
        "refused, then posted"
    );

    // 429 with `Retry-After: 2`: the post happens once, at least 2 s after the refusal, even
    // though local workerd (like Cloudflare) knows only the sender's fixed retry delay.
    slack.fail_next(
        "chat.postMessage",
        1,
        Fault::RateLimited {
            retry_after_secs: 2,
        },
    );
    let event = new_mention(&slack, &general, "Ev0FAULT2", "search is slow");
    assert_eq!(deliver(&worker, &event, SIGNING_SECRET, &[]).0, 200);
    let second = next_announced(&slack, &worker, 1);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(slack.channel(&second.id).unwrap().messages.len(), 1);
    let posts = announcement_posts(&slack, &second.id);
    assert_eq!(posts.len(), 2, "refused, then posted: {posts:?}");
    let waited = posts[1].received_at - posts[0].received_at;
    assert!(
        waited >= Duration::from_secs(2),
        "the retry came {waited:?} after the 429"
    );
    println!("429 Retry-After 2 s: the post was retried {waited:?} later");
}
