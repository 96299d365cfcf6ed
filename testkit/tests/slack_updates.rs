//! Later events in Slack, on the native pipeline against `FakeSlack`: the announcement is
//! re-rendered and each change gets one note, status-page changes are noted, dashboard
//! messages are mirrored (Slack's own are not echoed), and a closing status posts the closing
//! summary and archives the channel.

use incidentd_adapters::slack::incident_keys as keys;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::{
    Actor, AffectedService, AffectionStatus, Command, Idempotency, Impact, Service, Severity,
    Status,
};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::slack_workspace::connected;
use incidentd_testkit::{FakeChannel, FakeMessage, FakeSlack, Fault};
use pollster::block_on;
use serde_json::json;

/// A declared incident whose channel and announcement exist.
fn announced(pipeline: &Pipeline, slack: &FakeSlack) -> (String, String) {
    let id = pipeline.declare("Checkout is failing");
    pipeline.drain();
    let state = block_on(pipeline.handle(&id).get()).unwrap().incident;
    let channel = state.metadata[keys::CHANNEL].clone();
    assert!(slack.channel(&channel).is_some());
    (id, channel)
}

/// The parts of the messages in `channel`, oldest first.
fn parts(channel: &FakeChannel) -> Vec<(String, i64)> {
    channel
        .messages
        .iter()
        .filter_map(|m| PostedFor::of_message(&json!({ "metadata": m.metadata })))
        .map(|p| (p.part, p.event_id))
        .collect()
}

#[test]
fn changes_rerender_the_announcement_and_post_one_note_each() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let (id, channel) = announced(&pipeline, &slack);
    // The first note's re-render fails twice (the client asks `chat.update` once more by
    // itself): the retried step must not post the note twice.
    slack.fail_next("chat.update", 2, Fault::ServerError);
    pipeline.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::Low,
        },
    );
    pipeline.apply(
        &id,
        Command::SetAssignee {
            assignee: Some("U0CAROL".into()),
        },
    );
    pipeline.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Mitigating,
            message: "rolled back".into(),
        },
    );
    pipeline.drain();

    let channel = slack.channel(&channel).unwrap();
    let mut notes = parts(&channel);
    notes.sort();
    assert_eq!(
        notes,
        [
            (part::ANNOUNCEMENT.to_owned(), 1),
            // Event 2 is triage's note (no model here), which Slack does not show.
            (part::ASSIGNEE_NOTE.to_owned(), 4),
            (part::SEVERITY_NOTE.to_owned(), 3),
            (part::STATUS_NOTE.to_owned(), 5),
        ]
    );
    assert!(
        channel.members.contains(&"U0CAROL".to_owned()),
        "the assignee is invited"
    );
    let announcement = &channel.messages[0];
    let rendered = announcement.blocks.as_ref().unwrap().to_string();
    assert!(rendered.contains("U0CAROL"), "{rendered}");
    assert_eq!(
        PostedFor::of_message(&json!({ "metadata": announcement.metadata }))
            .unwrap()
            .event_id,
        1,
        "chat.update keeps the metadata it was posted with"
    );
    assert!(
        slack.calls_to("chat.update").len() >= 4,
        "3 changes and the failed attempt"
    );
}

#[test]
fn dashboard_messages_are_mirrored_and_slack_messages_are_not_echoed() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let (id, channel) = announced(&pipeline, &slack);
    let add = |message_id: String, actor: Actor| {
        let command = Command::AddMessage {
            message: "rolled back the deploy".into(),
            message_id,
            user_id: "u1".into(),
        };
        block_on(
            pipeline
                .handle(&id)
                .apply(actor, command, Idempotency::None),
        )
        .unwrap()
    };
    add("cli-1".into(), Actor::user("u1"));
    add(
        format!("{channel}:1790000999.000001"),
        Actor::slack("U0BOB"),
    );
    // Known as Slack's own from its actor, whatever its id says.
    add(
        "C0ELSEWHERE:1790000999.000002".into(),
        Actor::slack("U0BOB"),
    );
    pipeline.drain();

    let mirrored: Vec<_> = parts(&slack.channel(&channel).unwrap())
        .into_iter()
        .filter(|(p, _)| p == part::DASHBOARD_MESSAGE)
        .collect();
    // Event 2 is triage's note (no model here), which Slack does not show.
    assert_eq!(mirrored, [(part::DASHBOARD_MESSAGE.to_owned(), 3)]);
}

#[test]
fn a_closing_status_posts_the_closing_summary() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let (id, channel) = announced(&pipeline, &slack);
    pipeline.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "error rate back to normal".into(),
        },
    );
    pipeline.drain();

    let channel = slack.channel(&channel).unwrap();
    // Event 2 is triage's note. The channel is archived after the summary (the default), so
    // the analysis that follows the incident's archiving stays in incidentd.
    assert_eq!(
        parts(&channel).last(),
        Some(&(part::CLOSING_SUMMARY.to_owned(), 3))
    );
    assert!(channel.is_archived, "archived on close by default");
    assert_eq!(slack.calls_to("conversations.archive").len(), 1);
    let announcement = channel.messages[0].blocks.as_ref().unwrap().to_string();
    assert!(
        announcement.contains("closed"),
        "no controls once closed: {announcement}"
    );
}

#[test]
fn status_page_changes_are_noted_in_the_incident_channel_once_each() {
    let slack = FakeSlack::start();
    let pipeline = connected(&slack);
    let checkout = Service {
        id: "checkout".into(),
        name: "Checkout".into(),
    };
    let id = pipeline.declare_with_services("Checkout is failing", vec![checkout]);
    pipeline.drain();
    let channel = block_on(pipeline.handle(&id).get())
        .unwrap()
        .incident
        .metadata[keys::CHANNEL]
        .clone();
    // The first note fails (HTTP 500): its step is retried, searches the channel first, and
    // posts it once.
    slack.fail_next("chat.postMessage", 1, Fault::ServerError);
    let opened = pipeline.apply(
        &id,
        Command::CreateAffection {
            title: "Checkout <degraded>".into(),
            services: vec![AffectedService {
                id: "checkout".into(),
                impact: Impact::Major,
            }],
            message: "We are looking into failed payments".into(),
            created_by: "alice".into(),
        },
    );
    let moved = pipeline.apply(
        &id,
        Command::UpdateAffection {
            message: "A fix is rolling out".into(),
            status: Some(AffectionStatus::Mitigating),
            services: Some(vec![AffectedService {
                id: "checkout".into(),
                impact: Impact::Partial,
            }]),
            created_by: "alice".into(),
        },
    );
    pipeline.drain();

    let channel = slack.channel(&channel).unwrap();
    let notes: Vec<&FakeMessage> = channel
        .messages
        .iter()
        .filter(|m| {
            PostedFor::of_message(&json!({ "metadata": m.metadata }))
                .is_some_and(|p| p.part == part::AFFECTION_NOTE)
        })
        .collect();
    let events: Vec<i64> = notes
        .iter()
        .map(|m| {
            PostedFor::of_message(&json!({ "metadata": m.metadata }))
                .unwrap()
                .event_id
        })
        .collect();
    assert_eq!(
        events,
        [opened.event_id.unwrap(), moved.event_id.unwrap()],
        "one note per change, the retried one included"
    );
    assert!(
        notes[0]
            .text
            .contains("opened *Checkout &lt;degraded&gt;* · checkout: major")
            && notes[0].text.contains("Investigating"),
        "{}",
        notes[0].text
    );
    assert!(
        notes[1].text.contains("Mitigating* · checkout: partial")
            && notes[1].text.contains("A fix is rolling out"),
        "{}",
        notes[1].text
    );
}
