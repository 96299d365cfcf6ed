//! The Slack Web API client against the fake workspace: which calls it asks again after a 5xx.

use incidentd_adapters::slack::api::{SlackApi, SlackCallError};
use incidentd_adapters::slack::secret::Secret;
use incidentd_runtime::native::{
    FakeSlack, Fault, NativeHttp, FAKE_BOT_TOKEN, FAKE_GENERAL_CHANNEL_ID,
};
use pollster::block_on;
use serde_json::json;
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
