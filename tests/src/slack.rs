//! Shared by the Slack end-to-end tests: a worker whose Slack API URL points at a `FakeSlack`
//! on 127.0.0.1, the fake workspace connected through the operator route, and requests signed
//! as Slack signs them (events as JSON, interactivity and slash commands as forms).

use crate::{send_raw, LocalWorker};
use incidentd_adapters::slack::admin::{ConnectRequest, INSTALLATIONS_PATH};
use incidentd_adapters::slack::blocks::part;
use incidentd_adapters::slack::metadata::PostedFor;
use incidentd_adapters::slack::secret::Secret;
use incidentd_adapters::slack::signature::{self, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use incidentd_runtime::native::{
    FakeChannel, FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID,
};
use serde_json::{json, Value};

pub const SIGNING_SECRET: &str = "e2e-slack-signing-secret-5f1c9a";
pub const ADMIN_TOKEN: &str = "e2e-operator-token-77aa01";
/// Base64 of 32 bytes of 5.
pub const TOKEN_KEY: &str = "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";

pub const EVENTS_PATH: &str = "/slack/events";
pub const INTERACTIONS_PATH: &str = "/slack/interactions";
pub const COMMANDS_PATH: &str = "/slack/commands";

/// A worker talking to `slack`, with the Slack secrets and [`ADMIN_TOKEN`].
pub fn start_with_slack(name: &str, slack: &FakeSlack) -> LocalWorker {
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

/// Connects the fake workspace to the `demo` tenant with `admin_token`.
pub fn connect(worker: &LocalWorker, admin_token: &str) -> incidentctl::Reply {
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

/// Posts `body` to `path` signed with `secret` as Slack signs it, plus `extra` headers.
pub fn post_signed(
    worker: &LocalWorker,
    path: &str,
    content_type: &str,
    body: &[u8],
    secret: &str,
    extra: &[(&str, String)],
) -> (u16, Value) {
    let ts = incidentctl::now_secs();
    let mut headers = vec![
        ("content-type".to_owned(), content_type.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), ts.to_string()),
        (
            HEADER_SIGNATURE.to_owned(),
            signature::sign(secret.as_bytes(), ts, body),
        ),
    ];
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    send_raw(&worker.base_url(), "POST", path, &headers, body).expect("answered")
}

/// Posts an Events API body to `/slack/events`.
pub fn deliver(
    worker: &LocalWorker,
    body: &Value,
    secret: &str,
    extra: &[(&str, String)],
) -> (u16, Value) {
    let body = body.to_string();
    post_signed(
        worker,
        EVENTS_PATH,
        "application/json",
        body.as_bytes(),
        secret,
        extra,
    )
}

/// `fields` as Slack's form body.
pub fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

/// Posts a form body (interactivity, slash commands) to `path`.
pub fn post_form(worker: &LocalWorker, path: &str, body: &[u8], secret: &str) -> (u16, Value) {
    post_signed(
        worker,
        path,
        "application/x-www-form-urlencoded",
        body,
        secret,
        &[],
    )
}

/// An `app_mention` event callback.
pub fn mention(team: &str, event_id: &str, channel: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "event_callback", "team_id": team, "api_app_id": "A0E2E", "event_id": event_id,
        "event_time": incidentctl::now_secs(),
        "event": { "type": "app_mention", "user": "U0ALICE", "text": text, "ts": ts, "channel": channel },
    })
}

/// Mentions the bot in `channel` (the message exists at the fake) and returns the event.
pub fn new_mention(slack: &FakeSlack, channel: &str, event_id: &str, what: &str) -> Value {
    let text = format!("<@{FAKE_BOT_USER_ID}> {what}");
    let ts = slack.add_user_message(channel, "U0ALICE", &text, None);
    mention(FAKE_TEAM_ID, event_id, channel, &ts, &text)
}

/// Incident channels (everything the fake created) holding a pinned announcement.
pub fn announced_channels(slack: &FakeSlack) -> Vec<FakeChannel> {
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
