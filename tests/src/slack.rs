//! Shared by the Slack end-to-end tests: a worker whose Slack API URL points at a `FakeSlack`
//! on 127.0.0.1, the fake workspace connected through the operator route, and requests signed
//! as Slack signs them (events as JSON, interactivity and slash commands as forms). The bodies
//! and the signing are `incidentctl::slack`'s, the very ones `incidentctl slack` sends.

use crate::{send_raw, LocalWorker};
use incidentctl::slack::{Said, SlackRequest, Workspace};
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_testkit::{FakeChannel, FakeSlack, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_TEAM_ID};
use incidentd_wire::secret::Secret;
use incidentd_wire::slack_install::{ConnectRequest, INSTALLATIONS_PATH};
use serde_json::{json, Value};

pub const SIGNING_SECRET: &str = "e2e-slack-signing-secret-5f1c9a";
pub const ADMIN_TOKEN: &str = "e2e-operator-token-77aa01";
/// Base64 of 32 bytes of 5.
pub const TOKEN_KEY: &str = "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";

pub use incidentctl::slack::{form, COMMANDS_PATH, EVENTS_PATH, INTERACTIONS_PATH};

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

/// Connects the fake workspace to the `demo` tenant with `admin_token` (the default settings:
/// channels archived on close, no announcement channel).
pub fn connect(worker: &LocalWorker, admin_token: &str) -> incidentctl::Reply {
    connect_with(worker, admin_token, None, None)
}

/// [`connect`], with the installation's settings (`None` keeps what is stored).
pub fn connect_with(
    worker: &LocalWorker,
    admin_token: &str,
    archive_on_close: Option<bool>,
    announcement_channel: Option<&str>,
) -> incidentctl::Reply {
    let request = ConnectRequest {
        tenant: "demo".into(),
        team_id: FAKE_TEAM_ID.into(),
        enterprise_id: None,
        app_id: None,
        bot_user_id: FAKE_BOT_USER_ID.into(),
        scopes: String::new(),
        bot_token: Secret::new(FAKE_BOT_TOKEN),
        archive_on_close,
        announcement_channel: announcement_channel.map(str::to_owned),
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

/// Posts `request` signed with `secret` as Slack signs it, plus `extra` headers.
pub fn post_signed(
    worker: &LocalWorker,
    request: &SlackRequest,
    secret: &str,
    extra: &[(&str, String)],
) -> (u16, Value) {
    let mut headers = request.signed_headers(secret, incidentctl::now_secs());
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    send_raw(
        &worker.base_url(),
        "POST",
        request.path,
        &headers,
        &request.body,
    )
    .expect("answered")
}

/// Posts an Events API body to `/slack/events`.
pub fn deliver(
    worker: &LocalWorker,
    body: &Value,
    secret: &str,
    extra: &[(&str, String)],
) -> (u16, Value) {
    post_signed(worker, &SlackRequest::event(body), secret, extra)
}

/// Posts a form body (interactivity, slash commands) to `path`.
pub fn post_form(
    worker: &LocalWorker,
    path: &'static str,
    body: &[u8],
    secret: &str,
) -> (u16, Value) {
    let request = SlackRequest {
        path,
        content_type: incidentctl::slack::FORM_CONTENT_TYPE,
        body: body.to_vec(),
    };
    post_signed(worker, &request, secret, &[])
}

/// An `app_mention` event callback.
pub fn mention(team: &str, event_id: &str, channel: &str, ts: &str, text: &str) -> Value {
    let workspace = Workspace {
        team_id: team,
        app_id: "A0E2E",
    };
    let said = Said {
        user: "U0ALICE",
        channel,
        ts,
        text,
        thread_ts: None,
    };
    incidentctl::slack::app_mention(workspace, event_id, incidentctl::now_secs(), said)
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
