//! Events API bodies from realistic fixtures (`fixtures/slack/*.json`), parsed and classified.

use crate::slack::inbound::classify::{
    channel_identifier, classify, thread_identifier, BotIdentity, Classified, IgnoreReason,
    KnownIncidents, MessageKey,
};
use crate::slack::inbound::events::{
    Event, EventCallback, EventsBody, MessageSubtype, RetryReason, SlackRetry, ThreadPosition,
};
use std::collections::HashMap;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/slack/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn callback(name: &str) -> EventCallback {
    match EventsBody::parse(&fixture(name)).expect(name) {
        EventsBody::EventCallback(callback) => *callback,
        other => panic!("{name}: not an event_callback: {other:?}"),
    }
}

fn bot() -> BotIdentity {
    BotIdentity {
        user_id: "U0BOT".into(),
        bot_id: Some("B0BOT".into()),
    }
}

/// `C0INC1` is inc-7f3a's channel; inc-7f3a was declared in `C0GENERAL`'s thread 1795878245.000200.
fn incidents() -> KnownIncidents {
    KnownIncidents::default()
        .with(channel_identifier("C0INC1"), "inc-7f3a")
        .with(
            thread_identifier("C0GENERAL", "1795878245.000200"),
            "inc-7f3a",
        )
}

fn classified(name: &str) -> Classified {
    classify(&callback(name), &bot(), &incidents())
}

#[test]
fn url_verification_and_rate_limit_notices_parse() {
    assert_eq!(
        EventsBody::parse(&fixture("url_verification.json")).unwrap(),
        EventsBody::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
    assert_eq!(
        EventsBody::parse(&fixture("app_rate_limited.json")).unwrap(),
        EventsBody::AppRateLimited {
            team_id: "T0ACME".into(),
            api_app_id: "A0INCIDENTD".into(),
            minute_rate_limited: 1518467820
        }
    );
    assert_eq!(
        EventsBody::parse(br#"{"type":"something_new","x":1}"#).unwrap(),
        EventsBody::Unknown
    );
    assert!(EventsBody::parse(b"not json").is_err());
}

#[test]
fn the_envelope_names_the_workspace_app_and_event() {
    let mention = callback("app_mention.json");
    assert_eq!(mention.team(), Some("T0ACME"));
    assert_eq!(mention.api_app_id, "A0INCIDENTD");
    assert_eq!(mention.event_id, "Ev0MENTION1");
    assert_eq!(mention.event_time, 1795878245);
    assert!(!mention.is_enterprise_install());
    let Event::AppMention(event) = &mention.event else {
        panic!("{:?}", mention.event)
    };
    assert_eq!(event.thread_position(), ThreadPosition::TopLevel);

    let grid = callback("app_mention_in_declaring_thread.json");
    assert_eq!(grid.team_id, None);
    assert_eq!(grid.enterprise_id.as_deref(), Some("E0GRID"));
    assert_eq!(grid.team(), Some("T0ACME"), "from the inner event");
    assert!(grid.is_enterprise_install());
}

#[test]
fn a_mention_outside_incidents_declares_with_the_mentions_removed() {
    let Classified::Declare { prompt, message } = classified("app_mention.json") else {
        panic!("{:?}", classified("app_mention.json"))
    };
    assert_eq!(
        prompt,
        "checkout is failing for EU customers  can you look?"
    );
    assert_eq!(message.user, "U0ALICE");
    assert_eq!(
        message.reply_thread_ts, "1795878245.000200",
        "answer under the mention"
    );
    assert_eq!(
        message.key,
        MessageKey::of("C0GENERAL", "1795878245.000200")
    );
    assert_eq!(
        classified("app_mention_empty.json"),
        Classified::Ignore(IgnoreReason::EmptyMention)
    );
}

#[test]
fn a_mention_in_an_incident_channel_or_its_declaring_thread_is_a_prompt() {
    match classified("app_mention_in_incident_channel.json") {
        Classified::Prompt {
            incident_id,
            prompt,
            message,
        } => {
            assert_eq!(incident_id, "inc-7f3a");
            assert_eq!(prompt, "what changed in the last hour?");
            assert_eq!(message.reply_thread_ts, "1795878400.000300");
        }
        other => panic!("{other:?}"),
    }
    match classified("app_mention_in_declaring_thread.json") {
        Classified::Prompt {
            incident_id,
            message,
            ..
        } => {
            assert_eq!(incident_id, "inc-7f3a");
            assert_eq!(
                message.reply_thread_ts, "1795878245.000200",
                "stay in the thread"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_persons_message_in_an_incident_conversation_is_recorded_once_per_channel_and_ts() {
    match classified("message_in_incident_channel.json") {
        Classified::Record {
            incident_id,
            text,
            message,
        } => {
            assert_eq!(
                (incident_id.as_str(), text.as_str()),
                ("inc-7f3a", "rolled back the deploy")
            );
            assert_eq!(message.key.0, "C0INC1:1795878600.000500");
        }
        other => panic!("{other:?}"),
    }
    let reply = callback("message_thread_reply.json");
    let Event::Message(event) = &reply.event else {
        panic!()
    };
    assert_eq!(
        event.thread_position(),
        ThreadPosition::Reply {
            thread_ts: "1795878245.000200"
        }
    );
    assert!(matches!(
        classify(&reply, &bot(), &incidents()),
        Classified::Record { ref incident_id, .. } if incident_id == "inc-7f3a"
    ));
}

#[test]
fn bots_ourselves_subtypes_elsewhere_and_other_events_are_ignored() {
    let expected = [
        (
            "message_elsewhere.json",
            IgnoreReason::NotAnIncidentConversation,
        ),
        ("message_from_another_bot.json", IgnoreReason::Bot),
        ("message_bot_message_subtype.json", IgnoreReason::Bot),
        ("message_own.json", IgnoreReason::OwnMessage),
        (
            "message_channel_join.json",
            IgnoreReason::Subtype("channel_join".into()),
        ),
        (
            "message_changed.json",
            IgnoreReason::Subtype("message_changed".into()),
        ),
        ("reaction_added.json", IgnoreReason::UnhandledEvent),
    ];
    for (name, reason) in expected {
        assert_eq!(classified(name), Classified::Ignore(reason), "{name}");
    }
    let Event::Message(changed) = callback("message_changed.json").event else {
        panic!()
    };
    assert_eq!(changed.subtype, Some(MessageSubtype::MessageChanged));
    // Our own message is ours by user id even when the bot id is unknown.
    let without_bot_id = BotIdentity {
        user_id: "U0BOT".into(),
        bot_id: None,
    };
    assert_eq!(
        classify(&callback("message_own.json"), &without_bot_id, &incidents()),
        Classified::Ignore(IgnoreReason::OwnMessage)
    );
}

#[test]
fn retry_headers_are_typed() {
    let headers = HashMap::from([
        ("x-slack-retry-num", "2"),
        ("x-slack-retry-reason", "http_timeout"),
    ]);
    assert_eq!(
        SlackRetry::from_headers(|h| headers.get(h).copied()),
        Some(SlackRetry {
            num: 2,
            reason: RetryReason::HttpTimeout
        })
    );
    let odd = HashMap::from([
        ("x-slack-retry-num", "1"),
        ("x-slack-retry-reason", "gremlins"),
    ]);
    assert_eq!(
        SlackRetry::from_headers(|h| odd.get(h).copied()).map(|r| r.reason),
        Some(RetryReason::Other("gremlins".into()))
    );
    assert_eq!(SlackRetry::from_headers(|_| None), None, "a first delivery");
    let garbled = HashMap::from([("x-slack-retry-num", "two")]);
    assert_eq!(SlackRetry::from_headers(|h| garbled.get(h).copied()), None);
}
