//! The Slack Web API client against the fake workspace: each method encoded as Slack's
//! contract says (the fake, which enforces the contract, records no violation), and which
//! calls it asks again after a 5xx.

use incidentd_adapters::slack::outbound::api::{SlackApi, SlackCallError, NOT_IN_CONTRACT};
use incidentd_testkit::{ContractRule, FakeSlack, Fault, FAKE_BOT_TOKEN, FAKE_GENERAL_CHANNEL_ID};
use incidentd_wire::secret::Secret;
use pollster::block_on;
use serde_json::{json, Value};
use sluice::http::{HttpClient, HttpRequest};
use sluice::native::NativeHttp;
use std::rc::Rc;

fn api(slack: &FakeSlack) -> SlackApi {
    SlackApi::new(
        slack.api_url(),
        Secret::new(FAKE_BOT_TOKEN),
        Rc::new(NativeHttp),
    )
}

fn count(slack: &FakeSlack, method: &str) -> usize {
    slack.calls().iter().filter(|c| c.method == method).count()
}

#[test]
fn a_read_is_asked_once_more_after_a_server_error() {
    let slack = FakeSlack::start();
    slack.fail_next("conversations.list", 1, Fault::ServerError);
    let answer = block_on(api(&slack).call("conversations.list", &json!({})));
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(count(&slack, "conversations.list"), 2);
}

#[test]
fn a_second_server_error_is_the_steps_to_retry() {
    let slack = FakeSlack::start();
    slack.fail_next("conversations.list", 2, Fault::ServerError);
    let answer = block_on(api(&slack).call("conversations.list", &json!({})));
    assert!(
        matches!(&answer, Err(SlackCallError::Unanswered(e)) if e.is_retryable()),
        "{answer:?}"
    );
    assert_eq!(count(&slack, "conversations.list"), 2);
}

#[test]
fn a_post_is_never_repeated_by_the_client() {
    let slack = FakeSlack::start();
    slack.fail_next("chat.postMessage", 1, Fault::ServerError);
    let args = json!({ "channel": FAKE_GENERAL_CHANNEL_ID, "text": "hello" });
    let answer = block_on(api(&slack).call("chat.postMessage", &args));
    assert!(
        matches!(answer, Err(SlackCallError::Unanswered(_))),
        "{answer:?}"
    );
    assert_eq!(count(&slack, "chat.postMessage"), 1);
}

fn call(api: &SlackApi, method: &str, args: Value) -> Value {
    block_on(api.call(method, &args)).unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// Every method incidentd calls, with the arguments it sends: the fake reads each as Slack
/// would, so a read sent as JSON would fail here (its arguments unseen) and be a violation.
#[test]
fn every_method_is_encoded_as_its_contract_says() {
    let slack = FakeSlack::start();
    let api = api(&slack);
    let created = call(
        &api,
        "conversations.create",
        json!({ "name": "inc-encoding", "is_private": false }),
    );
    let channel = created["channel"]["id"].as_str().unwrap().to_owned();
    let metadata = json!({ "event_type": "incidentd_event", "event_payload": { "part": "x" } });
    let posted = call(
        &api,
        "chat.postMessage",
        json!({
            "channel": channel, "text": "hello", "blocks": [{ "type": "divider" }],
            "metadata": metadata, "unfurl_links": false,
        }),
    );
    let ts = posted["ts"].as_str().unwrap().to_owned();
    call(
        &api,
        "chat.postMessage",
        json!({ "channel": channel, "text": "in thread", "thread_ts": ts }),
    );
    call(
        &api,
        "chat.update",
        json!({ "channel": channel, "ts": ts, "text": "v2", "blocks": [{ "type": "divider" }] }),
    );
    call(
        &api,
        "pins.add",
        json!({ "channel": channel, "timestamp": ts }),
    );
    call(
        &api,
        "reactions.add",
        json!({ "channel": channel, "timestamp": ts, "name": "fire" }),
    );
    call(
        &api,
        "conversations.invite",
        json!({ "channel": channel, "users": "U0ALICE" }),
    );
    let history = call(
        &api,
        "conversations.history",
        json!({ "channel": channel, "include_all_metadata": true, "limit": 100 }),
    );
    assert_eq!(
        history["messages"][0]["metadata"], metadata,
        "include_all_metadata was read"
    );
    let replies = call(
        &api,
        "conversations.replies",
        json!({ "channel": channel, "ts": ts, "include_all_metadata": true, "limit": 200 }),
    );
    assert_eq!(replies["messages"][1]["text"], "in thread");
    let listed = call(
        &api,
        "conversations.list",
        json!({ "types": "public_channel", "exclude_archived": false, "limit": 1, "cursor": "" }),
    );
    assert_eq!(
        listed["channels"].as_array().map(Vec::len),
        Some(1),
        "limit was read"
    );
    let view = json!({ "type": "modal", "title": { "type": "plain_text", "text": "Status" } });
    call(
        &api,
        "views.open",
        json!({ "trigger_id": "1.2.abc", "view": view }),
    );
    assert_eq!(slack.opened_views()[0]["title"]["text"], "Status");
    call(&api, "conversations.archive", json!({ "channel": channel }));

    assert_eq!(slack.violations(), [], "the fake read every call as sent");
    assert_eq!(slack.warnings(), [], "no call drew a warning");
    // Slack's content types, written out rather than taken from the client under test.
    for call in slack.calls() {
        let expected = match call.method.as_str() {
            "conversations.history" | "conversations.replies" | "conversations.list" => {
                "application/x-www-form-urlencoded"
            }
            _ => "application/json; charset=utf-8",
        };
        assert_eq!(
            call.header("content-type"),
            Some(expected),
            "{}",
            call.method
        );
        assert_eq!(
            call.header("authorization"),
            Some(format!("Bearer {FAKE_BOT_TOKEN}").as_str())
        );
    }
}

/// What the client did before the contract decided: every method as JSON. The fake reads a
/// JSON `conversations.history` as Slack does, without its arguments.
#[test]
fn a_read_sent_as_json_is_caught() {
    let slack = FakeSlack::start();
    let channel = slack.add_channel("ops");
    let request = HttpRequest::post_json(
        &format!("{}/conversations.history", slack.api_url()),
        &json!({ "channel": channel }),
    )
    .header("authorization", &format!("Bearer {FAKE_BOT_TOKEN}"));
    let response = block_on(NativeHttp.send(request)).unwrap();
    let answer: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["error"], "invalid_arguments", "{answer}");
    let rules: Vec<ContractRule> = slack.take_violations().iter().map(|v| v.rule).collect();
    assert_eq!(
        rules,
        [ContractRule::BodyNotRead, ContractRule::MissingArgument]
    );
    let warnings: Vec<String> = slack.take_warnings().into_iter().map(|w| w.code).collect();
    assert_eq!(
        warnings,
        ["missing_charset"],
        "and JSON without a charset is warned"
    );
}

#[test]
fn a_method_outside_the_contract_table_is_not_sent() {
    let slack = FakeSlack::start();
    let answer = block_on(api(&slack).call("chat.delete", &json!({ "channel": "C1" })));
    assert!(
        matches!(&answer, Err(e) if e.is_code(NOT_IN_CONTRACT)),
        "{answer:?}"
    );
    assert!(slack.calls().is_empty());
}
