//! `incidentctl slack …`: what Slack would send incidentd, signed as Slack signs it, so a
//! developer can drive a local worker from a terminal against `fake-slack` (no workspace, no
//! app). The bodies are built here once; the end-to-end tests build theirs with the same
//! functions, and the server's own parsers read them back in the tests below.

use crate::client::{nonce, now_secs, send_with_headers, Reply};
use crate::render::outcomes::failure_line;
use crate::replies::Failed;
use clap::{Args, Subcommand};
use incidentd_core::Severity;
use incidentd_wire::slack_ids as ids;
use incidentd_wire::slack_signing::{self as signature, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const EVENTS_PATH: &str = "/slack/events";
pub const INTERACTIONS_PATH: &str = "/slack/interactions";
pub const COMMANDS_PATH: &str = "/slack/commands";
/// Not a Slack method: fake-slack's door for a person's message
/// (`incidentd_testkit::FAKE_USER_MESSAGE_METHOD`, checked equal in the tests).
pub const FAKE_USER_MESSAGE_METHOD: &str = "fake.userMessage";
/// How interactivity payloads and slash commands arrive.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

// The workspace `fake-slack` serves (`incidentd_testkit::FAKE_*`, checked equal in
// the tests): the defaults, so the local walkthrough needs no ids.
pub const DEV_TEAM_ID: &str = "TFAKETEAM";
pub const DEV_APP_ID: &str = "AFAKEAPP";
pub const DEV_BOT_USER_ID: &str = "UFAKEBOT";
/// `#general` at the fake: where people mention the bot.
pub const DEV_GENERAL_CHANNEL: &str = "C0GENERAL";
/// The person the commands act as, unless `--user` says otherwise.
pub const DEV_USER: &str = "U0DEVELOPER";

/// The workspace (and app) a body comes from, as every Slack body names it.
#[derive(Clone, Copy, Debug)]
pub struct Workspace<'a> {
    pub team_id: &'a str,
    pub app_id: &'a str,
}

/// A person's message, as the Events API describes it.
#[derive(Clone, Copy, Debug)]
pub struct Said<'a> {
    pub user: &'a str,
    pub channel: &'a str,
    pub ts: &'a str,
    pub text: &'a str,
    /// The thread's parent when the message is a reply.
    pub thread_ts: Option<&'a str>,
}

/// A request as Slack sends it: the route, and the raw body the signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackRequest {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl SlackRequest {
    /// An Events API body (JSON).
    pub fn event(body: &Value) -> Self {
        SlackRequest {
            path: EVENTS_PATH,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        }
    }

    /// A form body (interactivity, slash commands).
    pub fn form(path: &'static str, fields: &[(&str, &str)]) -> Self {
        SlackRequest {
            path,
            content_type: FORM_CONTENT_TYPE,
            body: form(fields),
        }
    }

    /// The headers Slack sends with it at `timestamp`: content type and the v0 signature.
    pub fn signed_headers(&self, signing_secret: &str, timestamp: i64) -> Vec<(String, String)> {
        vec![
            ("content-type".to_owned(), self.content_type.to_owned()),
            (HEADER_TIMESTAMP.to_owned(), timestamp.to_string()),
            (
                HEADER_SIGNATURE.to_owned(),
                signature::sign(signing_secret.as_bytes(), timestamp, &self.body),
            ),
        ]
    }
}

/// `fields` as Slack's form body.
pub fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

/// The `event_callback` envelope around an inner `event` of `workspace`.
pub fn event_callback(
    workspace: Workspace,
    event_id: &str,
    event_time: i64,
    event: Value,
) -> Value {
    json!({
        "type": "event_callback", "team_id": workspace.team_id, "api_app_id": workspace.app_id,
        "event_id": event_id, "event_time": event_time, "event": event,
    })
}

fn message_event(kind: &str, said: Said) -> Value {
    let mut event = json!({
        "type": kind, "user": said.user, "text": said.text, "ts": said.ts,
        "channel": said.channel,
    });
    if kind == "message" {
        // Slack names the conversation's kind on `message` events only.
        event["channel_type"] = "channel".into();
    }
    if let Some(thread_ts) = said.thread_ts {
        event["thread_ts"] = thread_ts.into();
    }
    event
}

/// A person mentioning the bot (`app_mention`).
pub fn app_mention(workspace: Workspace, event_id: &str, event_time: i64, said: Said) -> Value {
    event_callback(
        workspace,
        event_id,
        event_time,
        message_event("app_mention", said),
    )
}

/// A person's message in a channel the bot is in (`message`, no subtype).
pub fn message(workspace: Workspace, event_id: &str, event_time: i64, said: Said) -> Value {
    event_callback(
        workspace,
        event_id,
        event_time,
        message_event("message", said),
    )
}

/// A slash command typed in `channel`: `command_line` is the command and its text
/// (`/incident status`).
pub fn slash_command(
    workspace: Workspace,
    user: &str,
    channel: &str,
    command_line: &str,
    trigger_id: &str,
) -> SlackRequest {
    let line = command_line.trim();
    let (command, text) = line.split_once(' ').unwrap_or((line, ""));
    SlackRequest::form(
        COMMANDS_PATH,
        &[
            ("team_id", workspace.team_id),
            ("api_app_id", workspace.app_id),
            ("channel_id", channel),
            ("user_id", user),
            ("command", command),
            ("text", text.trim()),
            ("response_url", "https://hooks.slack.com/commands/local"),
            ("trigger_id", trigger_id),
        ],
    )
}

/// The `block_actions` payload the announcement's severity select sends when `user` picks
/// `severity` (the block id names the incident; the event part is not read back).
pub fn severity_selected(
    workspace: Workspace,
    user: &str,
    incident_id: &str,
    severity: Severity,
    trigger_id: &str,
) -> SlackRequest {
    let payload = json!({
        "type": "block_actions", "user": { "id": user }, "team": { "id": workspace.team_id },
        "api_app_id": workspace.app_id, "trigger_id": trigger_id,
        "actions": [{
            "type": "static_select", "action_id": ids::SEVERITY_SELECT,
            "block_id": ids::incident_block_id(incident_id, 0),
            "selected_option": { "value": severity.as_str() },
        }],
    });
    SlackRequest::form(INTERACTIONS_PATH, &[("payload", &payload.to_string())])
}

/// Now as a Slack message timestamp (`<unix seconds>.<microseconds>`).
pub fn ts_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", now.as_secs(), now.subsec_micros())
}

/// An event id no earlier event of this machine had (`Ev…`, as Slack's look).
pub fn new_event_id() -> String {
    format!("Ev{}", nonce().replace('-', "").to_ascii_uppercase())
}

/// A trigger id for this one request (a slash command's names the incident it declares).
pub fn new_trigger_id() -> String {
    format!("local.{}", nonce())
}

/// Signs `request` with `signing_secret` at the current time and posts it to `base_url`.
pub fn send(base_url: &str, signing_secret: &str, request: &SlackRequest) -> Result<Reply, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let headers = request.signed_headers(signing_secret, now_secs());
    send_with_headers(
        &agent,
        base_url,
        "POST",
        request.path,
        &headers,
        &request.body,
    )
}

/// Who acts, in which workspace.
#[derive(Args, Debug, Clone)]
pub struct Actor {
    /// The Slack user acting.
    #[arg(long, default_value = DEV_USER)]
    pub user: String,
    /// The workspace's team id (fake-slack's by default).
    #[arg(long, default_value = DEV_TEAM_ID)]
    pub team: String,
}

#[derive(Subcommand, Debug, Clone)]
pub enum SlackAction {
    /// Mention the bot (an `app_mention` event): outside incident channels this declares an
    /// incident, in one it asks the incident agent.
    Mention {
        text: String,
        /// The channel id (fake-slack's #general by default).
        #[arg(long, default_value = DEV_GENERAL_CHANNEL)]
        channel: String,
        /// Reply in this thread (the parent message's ts).
        #[arg(long)]
        thread: Option<String>,
        /// The bot's user id, mentioned at the start of the text.
        #[arg(long, default_value = DEV_BOT_USER_ID)]
        bot_user: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Write a message in a channel (a `message` event): in an incident channel it is
    /// recorded on the incident's timeline.
    Message {
        text: String,
        /// The channel id (an incident's: see fake-slack's conversations.create).
        #[arg(long)]
        channel: String,
        /// Reply in this thread (the parent message's ts).
        #[arg(long)]
        thread: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Type a slash command, e.g. "/incident status" (prints the ephemeral answer).
    Command {
        command_line: String,
        /// The channel it is typed in (fake-slack's #general by default).
        #[arg(long, default_value = DEV_GENERAL_CHANNEL)]
        channel: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Pick a severity in an incident announcement's select (a `block_actions` payload).
    SelectSeverity {
        incident_id: String,
        #[arg(value_parser = crate::args::severity())]
        severity: Severity,
        #[command(flatten)]
        actor: Actor,
    },
}

impl SlackAction {
    fn actor(&self) -> &Actor {
        match self {
            SlackAction::Mention { actor, .. }
            | SlackAction::Message { actor, .. }
            | SlackAction::Command { actor, .. }
            | SlackAction::SelectSeverity { actor, .. } => actor,
        }
    }
}

/// A built request and how to describe it once it was accepted.
pub struct SlackCall {
    pub request: SlackRequest,
    /// What was sent, for the success line.
    pub sent: String,
}

/// A person's message a mention or message action writes, before Slack gives it a ts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub channel: String,
    pub user: String,
    pub text: String,
    pub thread_ts: Option<String>,
}

impl Written {
    fn new(actor: &Actor, channel: &str, text: String, thread: &Option<String>) -> Self {
        Written {
            channel: channel.to_owned(),
            user: actor.user.clone(),
            text,
            thread_ts: thread.clone(),
        }
    }
}

/// A mention's text as Slack delivers it: the bot's `<@id>`, then what was said.
fn mention_text(bot_user: &str, text: &str) -> String {
    format!("<@{bot_user}> {text}")
}

impl SlackAction {
    /// The message this action writes in Slack (`mention` and `message`), if any.
    pub fn written(&self) -> Option<Written> {
        match self {
            SlackAction::Mention {
                text,
                channel,
                thread,
                bot_user,
                actor,
            } => Some(Written::new(
                actor,
                channel,
                mention_text(bot_user, text),
                thread,
            )),
            SlackAction::Message {
                text,
                channel,
                thread,
                actor,
            } => Some(Written::new(actor, channel, text.clone(), thread)),
            SlackAction::Command { .. } | SlackAction::SelectSeverity { .. } => None,
        }
    }
}

/// Writes `message` at fake-slack (`api_url`, its [`FAKE_USER_MESSAGE_METHOD`]) as Slack
/// holds a message before it sends the event, so the bot can react to it and answer in its
/// thread; returns the ts the fake gave it.
pub fn write_at_fake(api_url: &str, message: &Written) -> Result<String, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let url = format!(
        "{}/{FAKE_USER_MESSAGE_METHOD}",
        api_url.trim_end_matches('/')
    );
    let mut fields = vec![
        ("channel", message.channel.as_str()),
        ("user", message.user.as_str()),
        ("text", message.text.as_str()),
    ];
    if let Some(thread_ts) = &message.thread_ts {
        fields.push(("thread_ts", thread_ts));
    }
    let answer: Value = match agent.post(&url).send_form(&fields) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response
            .into_json()
            .map_err(|e| format!("{url}: not a Slack answer: {e}"))?,
        Err(e) => return Err(format!("fake-slack is not reachable at {url}: {e}")),
    };
    match (answer["ok"].as_bool(), answer["ts"].as_str()) {
        (Some(true), Some(ts)) => Ok(ts.to_owned()),
        _ => Err(format!(
            "{url} did not take the message: {}",
            answer["error"].as_str().unwrap_or("no ts in the answer")
        )),
    }
}

/// An Events API body builder: [`app_mention`] or [`message`].
type EventBody = fn(Workspace, &str, i64, Said) -> Value;

fn event_call(
    kind: &str,
    body: EventBody,
    workspace: Workspace,
    written: &Written,
    ts: &str,
) -> SlackCall {
    let event_id = new_event_id();
    let said = Said {
        user: &written.user,
        channel: &written.channel,
        ts,
        text: &written.text,
        thread_ts: written.thread_ts.as_deref(),
    };
    SlackCall {
        request: SlackRequest::event(&body(workspace, &event_id, now_secs(), said)),
        sent: format!("{kind} {event_id} in {} (ts {ts})", written.channel),
    }
}

/// The request `action` sends, with fresh event and trigger ids; `ts` is the written
/// message's (from [`write_at_fake`], else [`ts_now`]).
pub fn call_for(action: &SlackAction, ts: &str) -> SlackCall {
    let actor = action.actor();
    let workspace = Workspace {
        team_id: &actor.team,
        app_id: DEV_APP_ID,
    };
    match action {
        SlackAction::Mention {
            text,
            channel,
            thread,
            bot_user,
            ..
        } => {
            let written = Written::new(actor, channel, mention_text(bot_user, text), thread);
            event_call("app_mention", app_mention, workspace, &written, ts)
        }
        SlackAction::Message {
            text,
            channel,
            thread,
            ..
        } => {
            let written = Written::new(actor, channel, text.clone(), thread);
            event_call("message", message, workspace, &written, ts)
        }
        SlackAction::Command {
            command_line,
            channel,
            ..
        } => SlackCall {
            request: slash_command(
                workspace,
                &actor.user,
                channel,
                command_line,
                &new_trigger_id(),
            ),
            sent: format!("{} in {channel}", command_line.trim()),
        },
        SlackAction::SelectSeverity {
            incident_id,
            severity,
            ..
        } => SlackCall {
            request: severity_selected(
                workspace,
                &actor.user,
                incident_id,
                *severity,
                &new_trigger_id(),
            ),
            sent: format!("severity {} selected on {incident_id}", severity.as_str()),
        },
    }
}

/// What to print for incidentd's answer to `call`: the lines for stdout, or why it failed.
pub fn outcome(action: &SlackAction, call: &SlackCall, reply: &Reply) -> Result<String, String> {
    if !reply.is_success() {
        let failed: Option<Failed> = reply.decode().ok();
        let mut line = failure_line(reply.status, failed.as_ref());
        if reply.status == 401 {
            line.push_str(" (is SLACK_SIGNING_SECRET in ./.dev.vars the worker's?)");
        }
        return Err(line);
    }
    let sent = format!("sent {} as {}", call.sent, action.actor().user);
    Ok(match action {
        // Slack's events get an empty acknowledgement: the incident id is not in it.
        SlackAction::Mention { .. } => format!(
            "{sent}\noutside an incident channel this declares an incident: `incidentctl list` shows it (newest first)"
        ),
        SlackAction::Command { .. } => format!("{sent}\n{}", answer_text(&reply.body)),
        SlackAction::Message { .. } | SlackAction::SelectSeverity { .. } => sent,
    })
}

/// An ephemeral answer's text as Slack would show it: its sections, else its fallback text.
pub fn answer_text(answer: &Value) -> String {
    let sections: Vec<&str> = answer["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["text"]["text"].as_str())
        .collect();
    match sections.is_empty() {
        true => answer["text"].as_str().unwrap_or_default().to_owned(),
        false => sections.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_adapters::slack::inbound::commands::{CommandBody, IncidentCommand};
    use incidentd_adapters::slack::inbound::events::{Event, EventsBody};
    use incidentd_adapters::slack::inbound::interactions::{IncidentAction, Interaction};
    use incidentd_testkit::{
        FakeSlack, FAKE_APP_ID, FAKE_BOT_USER_ID, FAKE_GENERAL_CHANNEL_ID, FAKE_TEAM_ID,
        FAKE_USER_MESSAGE_METHOD as FAKES_METHOD,
    };

    const SECRET: &str = "local-signing-secret";

    fn verified(request: &SlackRequest, secret: &str) -> Result<(), String> {
        let now = now_secs();
        let headers = request.signed_headers(SECRET, now);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        signature::verify(Some(secret.as_bytes()), &request.body, header, now)
            .map_err(|e| e.to_string())
    }

    fn try_parse(action: &[&str]) -> Result<SlackAction, clap::Error> {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            action: SlackAction,
        }
        let args = std::iter::once("slack").chain(action.iter().copied());
        <Cli as clap::Parser>::try_parse_from(args).map(|cli| cli.action)
    }

    fn parsed(action: &[&str]) -> SlackAction {
        try_parse(action).expect("parses")
    }

    #[test]
    fn the_defaults_are_the_fake_workspace() {
        assert_eq!(
            (
                DEV_TEAM_ID,
                DEV_APP_ID,
                DEV_BOT_USER_ID,
                DEV_GENERAL_CHANNEL
            ),
            (
                FAKE_TEAM_ID,
                FAKE_APP_ID,
                FAKE_BOT_USER_ID,
                FAKE_GENERAL_CHANNEL_ID
            )
        );
        assert_eq!(FAKE_USER_MESSAGE_METHOD, FAKES_METHOD);
    }

    #[test]
    fn every_body_is_signed_as_slack_signs_and_only_its_secret_verifies() {
        for args in [
            &["mention", "checkout is failing"][..],
            &["message", "--channel", "C1", "rolled back"],
            &["command", "/incident status", "--channel", "C1"],
            &["select-severity", "inc-1", "high"],
        ] {
            let call = call_for(&parsed(args), &ts_now());
            assert_eq!(verified(&call.request, SECRET), Ok(()), "{args:?}");
            assert_eq!(
                verified(&call.request, "another-secret"),
                Err("invalid signature".to_owned()),
                "{args:?}"
            );
        }
    }

    #[test]
    fn a_mention_is_an_app_mention_of_the_bot_in_general_by_default() {
        let call = call_for(&parsed(&["mention", "checkout is failing"]), &ts_now());
        assert_eq!(call.request.path, EVENTS_PATH);
        let EventsBody::EventCallback(callback) = EventsBody::parse(&call.request.body).unwrap()
        else {
            panic!("an event_callback");
        };
        assert_eq!(callback.team(), Some(FAKE_TEAM_ID));
        assert!(callback.event_id.starts_with("Ev"), "{}", callback.event_id);
        let Event::AppMention(mention) = &callback.event else {
            panic!("an app_mention: {:?}", callback.event);
        };
        assert_eq!(
            (
                mention.channel.as_str(),
                mention.user.as_deref(),
                mention.text.as_str()
            ),
            (
                FAKE_GENERAL_CHANNEL_ID,
                Some(DEV_USER),
                "<@UFAKEBOT> checkout is failing"
            )
        );
        let (secs, micros) = mention.ts.split_once('.').unwrap();
        assert!(secs.parse::<i64>().unwrap() > 1_700_000_000 && micros.len() == 6);
        let again = call_for(&parsed(&["mention", "checkout is failing"]), &ts_now());
        assert_ne!(
            EventsBody::parse(&again.request.body).unwrap(),
            EventsBody::EventCallback(callback),
            "each mention is a new event"
        );
    }

    #[test]
    fn a_message_is_a_persons_message_in_its_channel_and_thread() {
        let call = call_for(
            &parsed(&[
                "message",
                "--channel",
                "C0INC",
                "--thread",
                "1.2",
                "--user",
                "U0BOB",
                "rolled back",
            ]),
            &ts_now(),
        );
        let EventsBody::EventCallback(callback) = EventsBody::parse(&call.request.body).unwrap()
        else {
            panic!("an event_callback");
        };
        let Event::Message(message) = &callback.event else {
            panic!("a message");
        };
        assert_eq!(
            (
                message.channel.as_str(),
                message.user.as_deref(),
                message.text.as_str(),
                message.thread_ts.as_deref(),
                message.subtype.as_ref(),
                message.bot_id.as_ref()
            ),
            (
                "C0INC",
                Some("U0BOB"),
                "rolled back",
                Some("1.2"),
                None,
                None
            )
        );
        assert!(try_parse(&["message", "no channel"]).is_err());
    }

    #[test]
    fn a_slash_command_splits_the_command_from_its_text() {
        let call = call_for(
            &parsed(&["command", "/incident status", "--channel", "C0INC"]),
            &ts_now(),
        );
        assert_eq!(call.request.path, COMMANDS_PATH);
        let CommandBody::Command(command) = CommandBody::parse_form(&call.request.body).unwrap()
        else {
            panic!("a command");
        };
        assert_eq!(
            (
                command.command.as_str(),
                command.text.as_str(),
                command.channel_id.as_str(),
                command.team_id.as_str()
            ),
            ("/incident", "status", "C0INC", FAKE_TEAM_ID)
        );
        assert_eq!(command.interpret(), IncidentCommand::Status);
        assert!(!command.trigger_id.is_empty());
        let CommandBody::Command(alone) = CommandBody::parse_form(
            &call_for(&parsed(&["command", "/incident"]), &ts_now())
                .request
                .body,
        )
        .unwrap() else {
            panic!("a command");
        };
        assert_eq!(
            (alone.text.as_str(), alone.interpret()),
            ("", IncidentCommand::Help)
        );
    }

    #[test]
    fn select_severity_is_the_announcements_select_as_the_receiver_reads_it() {
        let call = call_for(
            &parsed(&["select-severity", "inc-7", "medium", "--user", "U0BOB"]),
            &ts_now(),
        );
        assert_eq!(call.request.path, INTERACTIONS_PATH);
        let Interaction::BlockActions(actions) =
            Interaction::parse_form(&call.request.body).unwrap()
        else {
            panic!("block_actions");
        };
        assert_eq!(
            actions.incident_actions(),
            [IncidentAction::SetSeverity {
                incident_id: "inc-7".into(),
                severity: Severity::Medium,
                user: "U0BOB".into(),
            }]
        );
        assert!(try_parse(&["select-severity", "inc-7", "critical"]).is_err());
    }

    #[test]
    fn answers_are_explained() {
        let mention = parsed(&["mention", "db down"]);
        let call = call_for(&mention, &ts_now());
        let ok = Reply {
            status: 200,
            body: json!({}),
        };
        let line = outcome(&mention, &call, &ok).unwrap();
        assert!(line.starts_with("sent app_mention Ev"), "{line}");
        assert!(line.contains("incidentctl list"), "{line}");
        let refused = Reply {
            status: 401,
            body: json!({ "error": { "code": "UNAUTHORIZED", "message": "invalid Slack signature" } }),
        };
        assert_eq!(
            outcome(&mention, &call, &refused).unwrap_err(),
            "401 UNAUTHORIZED: invalid Slack signature (is SLACK_SIGNING_SECRET in ./.dev.vars the worker's?)"
        );
        let command = parsed(&["command", "/incident status"]);
        let answer = Reply {
            status: 200,
            body: json!({ "response_type": "ephemeral", "text": "t: open",
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": "*t*\nOpen · Low" } }] }),
        };
        assert_eq!(
            outcome(&command, &call_for(&command, &ts_now()), &answer).unwrap(),
            format!(
                "sent /incident status in {DEV_GENERAL_CHANNEL} as {DEV_USER}\n*t*\nOpen · Low"
            )
        );
    }

    #[test]
    fn a_mention_is_written_at_the_fake_first_and_its_ts_is_the_fakes() {
        let slack = FakeSlack::start();
        slack.add_general_channel();
        let mention = parsed(&["mention", "--thread", "1.5", "db down"]);
        let written = mention.written().unwrap();
        assert_eq!(
            written,
            Written {
                channel: DEV_GENERAL_CHANNEL.into(),
                user: DEV_USER.into(),
                text: "<@UFAKEBOT> db down".into(),
                thread_ts: Some("1.5".into()),
            }
        );
        let ts = write_at_fake(&slack.api_url(), &written).unwrap();
        let general = slack.channel(DEV_GENERAL_CHANNEL).unwrap();
        let at_fake = general.messages.iter().find(|m| m.ts == ts).unwrap();
        assert_eq!(
            (
                at_fake.user.as_str(),
                at_fake.text.as_str(),
                at_fake.thread_ts.as_deref()
            ),
            (DEV_USER, "<@UFAKEBOT> db down", Some("1.5"))
        );
        let EventsBody::EventCallback(callback) =
            EventsBody::parse(&call_for(&mention, &ts).request.body).unwrap()
        else {
            panic!("an event_callback");
        };
        let Event::AppMention(event) = &callback.event else {
            panic!("an app_mention");
        };
        assert_eq!(
            (event.ts.as_str(), event.thread_ts.as_deref()),
            (ts.as_str(), Some("1.5"))
        );

        let elsewhere = parsed(&["message", "--channel", "C404", "hi"])
            .written()
            .unwrap();
        let refused = write_at_fake(&slack.api_url(), &elsewhere).unwrap_err();
        assert!(
            refused.ends_with("did not take the message: channel_not_found"),
            "{refused}"
        );
        assert_eq!(parsed(&["select-severity", "i", "low"]).written(), None);
        let unreachable = write_at_fake("http://127.0.0.1:9/api", &written).unwrap_err();
        assert!(
            unreachable.starts_with("fake-slack is not reachable at"),
            "{unreachable}"
        );
    }
}
