//! Effect lanes on the native host (the whole pipeline: objects, outbox, IncidentWorkflow,
//! the real senders, FakeSlack on 127.0.0.1, time on the pipeline's virtual clock): Slack down
//! holds only Slack's lane; a lane out of retries holds its later events, says why, and is
//! released by a retry (draining what it held, in order, once each) or by a dismissal; a lane
//! held when its generation ends starts held in the next; a closed incident with a held lane
//! is archived and analysed, and keeps its object until the lane is released.

mod common;

use common::connected;
use incidentd_core::object::{FailedEffect, LaneView};
use incidentd_core::{Actor, Command, Idempotency, Severity, Status};
use incidentd_workflows::testing::Pipeline;
use serde_json::Value;
use sluice::native::{FakeSlack, Fault, SlackCall, StepRecord};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Slack answers 500 to everything while `down` is set.
fn slack_down_while(slack: &FakeSlack, down: Arc<AtomicBool>) {
    slack.fail_when(move |_: &SlackCall| down.load(Ordering::SeqCst).then_some(Fault::ServerError));
}

fn lanes(p: &Pipeline, id: &str) -> Vec<LaneView> {
    pollster::block_on(p.handle(id).lanes()).expect("lanes")
}

fn lane(p: &Pipeline, id: &str, effect: &str) -> LaneView {
    lanes(p, id)
        .into_iter()
        .find(|l| l.effect == effect)
        .unwrap_or_else(|| panic!("no {effect} lane"))
}

fn failed(p: &Pipeline, id: &str) -> Vec<FailedEffect> {
    pollster::block_on(p.handle(id).failed_effects()).expect("listed")
}

fn message(p: &Pipeline, id: &str, n: usize) {
    p.apply(
        id,
        Command::AddMessage {
            message: format!("note {n}"),
            message_id: format!("m{n}"),
            user_id: "u1".into(),
        },
    );
}

/// The virtual time of every successful attempt of a delivery (`<step>` or its
/// `#attempt-<n>` steps), over every instance.
fn delivered_at(p: &Pipeline, step: &str) -> Vec<u64> {
    let later = format!("{step}#attempt-");
    p.workflows
        .instance_ids()
        .iter()
        .filter_map(|i| p.workflows.step(i))
        .flat_map(|s| s.records())
        .filter_map(|r| match r {
            StepRecord::Attempt {
                name,
                at,
                error: None,
                ..
            } if name == step || name.starts_with(&later) => Some(at),
            _ => None,
        })
        .collect()
}

/// The texts of the messages in the incident's channel that came from the notes, in channel
/// order.
fn notes_in_channel(slack: &FakeSlack) -> Vec<String> {
    let created = slack.calls_to("conversations.create");
    let Some(channel) = created
        .first()
        .and_then(|call| slack.channel_named(call.arg("name")))
    else {
        return Vec::new();
    };
    channel
        .messages
        .iter()
        .filter_map(|m| m.text.split("note ").nth(1).map(str::to_owned))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn slack_down_holds_only_its_own_lane() {
    let slack = FakeSlack::start();
    let down = Arc::new(AtomicBool::new(true));
    slack_down_while(&slack, down.clone());
    let p = connected(&slack);
    let id = p.declare("checkout failing"); // event 1 (triage's note comes later)
    let declared_at = p.clock.get() as u64;
    p.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    p.drain();

    // The index got both events at once; Slack's lane spent its attempts and holds.
    let index = delivered_at(&p, "dashboard.severity_update:2");
    assert_eq!(index.len(), 1, "{index:?}");
    assert!(
        index[0] - declared_at < 1_000,
        "the index is not delayed by Slack: {} ms",
        index[0] - declared_at
    );
    assert!(delivered_at(&p, "slack.incident_created:1").is_empty());
    let slack_lane = lane(&p, &id, "slack");
    assert_eq!(slack_lane.state, "held", "{slack_lane:?}");
    assert_eq!(slack_lane.event_id, Some(1));
    let summary = slack_lane.summary.clone().unwrap_or_default();
    assert!(
        summary.starts_with("held behind slack.incident_created:1 (failed: "),
        "{summary}"
    );
    assert!(
        slack_lane.held_events.contains(&2),
        "the severity change waits behind the announcement: {slack_lane:?}"
    );
    assert_eq!(lane(&p, &id, "dashboard").state, "ok");
    let listed = failed(&p, &id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].event_id, listed[0].effect.as_str()),
        (1, "slack")
    );
    // It rode out an outage of minutes before giving up.
    let attempts: Vec<u64> = p
        .workflows
        .instance_ids()
        .iter()
        .filter_map(|i| p.workflows.step(i))
        .flat_map(|s| s.delivery_attempts("slack.incident_created:1"))
        .collect();
    assert_eq!(attempts.len(), 13, "{attempts:?}");
    let rode_out = attempts.last().unwrap() - attempts[0];
    assert!(rode_out >= 20 * 60_000, "{rode_out} ms of retries");

    // Slack is back: a retry announces, then the held severity change follows.
    down.store(false, Ordering::SeqCst);
    pollster::block_on(p.handle(&id).retry_effect(1, "slack")).expect("queued");
    p.drain();
    assert_eq!(
        delivered_at(&p, "slack.incident_created:1#retry-1").len(),
        1
    );
    assert_eq!(delivered_at(&p, "slack.severity_update:2").len(), 1);
    assert!(failed(&p, &id).is_empty());
    assert_eq!(lane(&p, &id, "slack").state, "ok");
}

#[test]
fn a_held_lane_drains_what_it_held_in_order_once_each_when_retried() {
    let slack = FakeSlack::start();
    let down = Arc::new(AtomicBool::new(true));
    slack_down_while(&slack, down.clone());
    let p = connected(&slack);
    let id = p.declare("checkout failing");
    for n in 1..=4 {
        message(&p, &id, n);
    }
    p.drain();
    let held = lane(&p, &id, "slack");
    assert_eq!(held.state, "held");
    assert_eq!(held.held_events.len(), 4, "{held:?}");

    down.store(false, Ordering::SeqCst);
    pollster::block_on(p.handle(&id).retry_effect(1, "slack")).expect("queued");
    p.drain();
    assert_eq!(notes_in_channel(&slack), ["1", "2", "3", "4"]);
    // Once each: a second drain changes nothing.
    p.drain();
    assert_eq!(notes_in_channel(&slack), ["1", "2", "3", "4"]);
}

#[test]
fn a_dismissal_releases_the_lane_without_its_event_and_is_in_the_timeline() {
    let slack = FakeSlack::start();
    let p = connected(&slack);
    let id = p.declare("checkout failing"); // event 1
    p.drain();
    // Slack refuses the next post for good (a retry cannot help): its lane holds.
    slack.fail_next("chat.postMessage", 1, Fault::Error("msg_too_long".into()));
    message(&p, &id, 1);
    message(&p, &id, 2);
    p.drain();
    let held = lane(&p, &id, "slack");
    assert_eq!(held.state, "held", "{held:?}");
    let event = held.event_id.expect("held behind an event");
    assert_eq!(notes_in_channel(&slack), Vec::<String>::new());

    let dismissed = pollster::block_on(p.handle(&id).dismiss_effect(
        Actor::user("oncall"),
        event,
        "slack",
        Idempotency::None,
    ))
    .expect("dismissed");
    p.drain();
    assert_eq!(
        notes_in_channel(&slack),
        ["2"],
        "the lane went on without note 1"
    );
    assert!(failed(&p, &id).is_empty());
    assert_eq!(lane(&p, &id, "slack").state, "ok");
    let view = pollster::block_on(p.handle(&id).get()).unwrap();
    let entry = view
        .timeline
        .iter()
        .find(|e| Some(e.event_id) == dismissed.event_id)
        .expect("the dismissal is in the timeline");
    assert_eq!(entry.event_type, "EFFECT_DISMISSED");
    assert_eq!(entry.data["effect"], Value::from("slack"));
    assert_eq!(entry.data["event_id"], Value::from(event));
    assert!(
        pollster::block_on(p.handle(&id).dismiss_effect(
            Actor::user("oncall"),
            event,
            "slack",
            Idempotency::None,
        ))
        .is_err(),
        "nothing left to dismiss"
    );
}

#[test]
fn a_lane_held_when_its_generation_ends_starts_held_in_the_next() {
    let slack = FakeSlack::start();
    let down = Arc::new(AtomicBool::new(true));
    slack_down_while(&slack, down.clone());
    let p = connected(&slack);
    let id = p.declare("checkout failing"); // event 1; triage's note is 2
    let notes = incidentd_core::forward::EVENTS_PER_INSTANCE as usize + 5;
    for n in 1..=notes {
        message(&p, &id, n);
    }
    p.drain();
    assert!(
        p.workflows.instance_ids().len() >= 2,
        "the notes filled a generation: {:?}",
        p.workflows.instance_ids()
    );
    assert_eq!(lane(&p, &id, "slack").state, "held");

    down.store(false, Ordering::SeqCst);
    pollster::block_on(p.handle(&id).retry_effect(1, "slack")).expect("queued");
    p.drain();
    let expected: Vec<String> = (1..=notes).map(|n| n.to_string()).collect();
    assert_eq!(
        notes_in_channel(&slack),
        expected,
        "every note, in order, once, across the generations"
    );
    assert_eq!(lane(&p, &id, "slack").state, "ok");
}

#[test]
fn a_closed_incident_with_a_held_lane_is_archived_and_keeps_its_object_until_released() {
    let slack = FakeSlack::start();
    let down = Arc::new(AtomicBool::new(true));
    slack_down_while(&slack, down.clone());
    let p = connected(&slack);
    let id = p.declare("checkout failing");
    p.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "fixed".into(),
        },
    );
    p.drain();
    assert_eq!(lane(&p, &id, "slack").state, "held");
    assert!(
        p.incidents.object(&id).object.state().unwrap().is_some(),
        "the object stays while its lane is held"
    );
    assert_eq!(
        p.analysis.instance_ids(),
        [format!("analysis-{id}")],
        "the analysis does not wait for Slack"
    );
    let archived: Vec<_> = pollster::block_on(sluice::sql::Database::query(
        p.db.as_ref(),
        "SELECT id FROM incident_archive WHERE id = ?",
        vec![id.clone().into()],
    ))
    .unwrap();
    assert_eq!(archived.len(), 1, "archived with the effect still listed");

    down.store(false, Ordering::SeqCst);
    pollster::block_on(p.handle(&id).retry_effect(1, "slack")).expect("queued");
    p.drain();
    assert_eq!(
        delivered_at(&p, "slack.incident_created:1#retry-1").len(),
        1
    );
    assert_eq!(
        delivered_at(&p, "slack.status_update:2").len(),
        1,
        "the close reached Slack"
    );
    assert!(
        p.incidents.object(&id).object.state().unwrap().is_none(),
        "released: the object finalised"
    );
}
