//! The delivery rule end to end on the native host: Incident objects, their outbox alarms,
//! the Workflows engine and the registered senders, with forwarding faults. A dead letter's
//! replay must run its handlers exactly once, whatever was delivered after it, and whether or
//! not the workflow instance it belonged to has ended.

use incidentd_core::forward::instance_id;
use incidentd_core::{Command, Severity, Status};
use incidentd_testkit::pipeline::Pipeline;
use serde_json::Value;
use sluice::native::InstanceStatus;
use sluice::outbox::OutboxPolicy;
use sluice::sql::SqlStore;

/// Three attempts, then a dead letter.
fn pipeline() -> Pipeline {
    Pipeline::with_policy(OutboxPolicy {
        max_attempts: 3,
        ..OutboxPolicy::default()
    })
}

fn event_id(payload: &Value) -> i64 {
    payload["event_id"].as_i64().unwrap_or_default()
}

/// Fails every forward of event `dead` until cleared.
fn refuse_event(p: &Pipeline, dead: i64) {
    p.workflows.fail_when(move |_, _, payload| {
        (event_id(payload) == dead).then(|| format!("engine refused event {dead}"))
    });
}

/// The engine accepts the first `send_event` of event `lost` and loses it (as the local engine
/// can when killed); later sends of it arrive.
fn lose_first_send_of(p: &Pipeline, lost: i64) {
    let mut first_send = true;
    p.workflows.drop_events_when(move |operation, _, payload| {
        let lose = operation == "send_event" && event_id(payload) == lost && first_send;
        first_send &= !lose;
        lose
    });
}

/// Event 3 dead-lettered while event 4 is delivered, then replayed and lost by the engine.
fn replay_event_3_and_lose_it(p: &Pipeline) -> String {
    let id = p.declare("search slow"); // event 1
    p.drain(); // event 2: triage's note
    refuse_event(p, 3);
    p.apply(&id, severity(Severity::High)); // event 3: dead-lettered
    p.apply(&id, severity(Severity::Low)); // event 4: delivered after it
    p.drain();
    assert_eq!(dead_letters(p, &id), [3]);
    p.workflows.clear_faults();
    lose_first_send_of(p, 3);
    pollster::block_on(p.handle(&id).replay(3)).unwrap();
    p.alarm(&id); // the replay: accepted, then lost
    id
}

fn severity(severity: Severity) -> Command {
    Command::SetSeverity { severity }
}

fn status(status: Status) -> Command {
    Command::UpdateStatus {
        status,
        message: "m".into(),
    }
}

fn dead_letters(p: &Pipeline, id: &str) -> Vec<i64> {
    pollster::block_on(p.handle(id).dead_letters())
        .unwrap()
        .iter()
        .map(|e| e.event_id)
        .collect()
}

#[test]
fn a_dead_letter_replayed_after_later_events_runs_its_handlers_exactly_once() {
    let p = pipeline();
    let id = p.declare("checkout failing"); // event 1
    p.drain(); // event 2: triage's note (no model)
    refuse_event(&p, 3);
    p.apply(&id, severity(Severity::High)); // event 3: dead-lettered
    p.apply(&id, severity(Severity::Low)); // event 4: delivered after it
    p.drain();
    assert_eq!(dead_letters(&p, &id), [3]);
    assert_eq!(p.successful_steps("dashboard.severity_update:4"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 0);

    p.workflows.clear_faults();
    pollster::block_on(p.handle(&id).replay(3)).unwrap();
    p.drain();
    assert!(dead_letters(&p, &id).is_empty());
    assert_eq!(
        p.successful_steps("dashboard.severity_update:3"),
        1,
        "the replayed event's handler ran once"
    );
    assert_eq!(p.successful_steps("dashboard.severity_update:4"), 1);
    assert_eq!(p.successful_steps("dashboard.incident_created:1"), 1);
    // The index keeps the newest state: the replayed older event does not overwrite it.
    let rows = pollster::block_on(sluice::sql::Database::query(
        p.db.as_ref(),
        "SELECT severity, last_event_id FROM incident_index WHERE id = ?",
        vec![id.as_str().into()],
    ))
    .unwrap();
    assert_eq!(rows[0]["severity"], "low");
    assert_eq!(rows[0]["last_event_id"], 4);
    assert!(p.workflows.undelivered().is_empty());
}

#[test]
fn a_dead_incident_created_replays_into_the_instance_a_later_event_started() {
    let p = pipeline();
    refuse_event(&p, 1);
    let id = p.declare("payments down"); // event 1: dead-lettered
    p.apply(&id, severity(Severity::High)); // event 2 creates the instance instead
    p.drain();
    assert_eq!(dead_letters(&p, &id), [1]);
    assert_eq!(p.workflows.instance_ids(), [instance_id(&id, 1)]);

    p.workflows.clear_faults();
    pollster::block_on(p.handle(&id).replay(1)).unwrap();
    p.drain();
    assert_eq!(p.successful_steps("dashboard.incident_created:1"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:2"), 1);
    assert!(dead_letters(&p, &id).is_empty());
    assert!(p.workflows.undelivered().is_empty());
}

#[test]
fn a_dead_letter_replayed_after_the_close_goes_to_a_new_generation() {
    let p = pipeline();
    let id = p.declare("search slow");
    refuse_event(&p, 2);
    p.apply(&id, severity(Severity::High)); // event 2: dead-lettered
    p.apply(&id, status(Status::Resolved)); // event 3: the last one; the instance ends
    p.drain();
    assert_eq!(dead_letters(&p, &id), [2]);
    assert!(matches!(
        p.workflows.instance_status(&instance_id(&id, 1)),
        Some(InstanceStatus::Complete(_))
    ));
    // The dead letter keeps the closed incident's object alive (not archived yet).
    assert!(p.incidents.object(&id).object.state().unwrap().is_some());

    p.workflows.clear_faults();
    pollster::block_on(p.handle(&id).replay(2)).unwrap();
    p.drain();
    assert_eq!(
        p.successful_steps("dashboard.severity_update:2"),
        1,
        "handled by generation 2, not sent to the ended instance"
    );
    assert!(p.workflows.undelivered().is_empty(), "nothing lost");
    assert!(matches!(
        p.workflows.instance_status(&instance_id(&id, 2)),
        Some(InstanceStatus::Complete(_))
    ));
    // Drained and closed: archived, analysed, storage deleted.
    assert!(p.incidents.object(&id).object.state().unwrap().is_none());
    assert_eq!(p.analysis.instance_ids(), [format!("analysis-{id}")]);
}

#[test]
fn a_forward_that_reached_the_engine_but_was_not_recorded_is_handled_once() {
    let p = pipeline();
    let id = p.declare("queue backlog");
    p.drain(); // events 1 and 2 (triage's note: no model)
               // The engine takes event 3, then the isolate dies before the publication is recorded:
               // the next pass forwards it again, to the same instance.
    p.apply(&id, severity(Severity::High));
    let store_row = |sql: &str| {
        p.incidents
            .object(&id)
            .object
            .store()
            .execute(sql, &[])
            .unwrap();
    };
    p.alarm(&id);
    store_row("UPDATE outbox SET published_at = NULL, next_attempt_at = 0 WHERE event_id = 3");
    // The platform retries the alarm of an isolate that died.
    let store = p.incidents.object(&id);
    store.object.store().set_alarm(p.clock.get()).unwrap();
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
    assert_eq!(
        pollster::block_on(p.handle(&id).get())
            .unwrap()
            .timeline
            .iter()
            .filter(|e| e.published_at.is_some())
            .count(),
        3
    );
}

#[test]
fn a_replay_survives_crashes_of_the_workflow_run_around_it() {
    let p = pipeline();
    let id = p.declare("dns flapping");
    p.drain(); // events 1 and 2 (triage's note: no model)
    refuse_event(&p, 3);
    p.apply(&id, severity(Severity::High));
    p.apply(&id, severity(Severity::Low));
    p.drain();
    p.workflows.clear_faults();
    let step = p.workflows.step(&instance_id(&id, 1)).unwrap();
    // The isolate dies right after the replayed event's effect, before its result is kept.
    step.crash_once_after_step("dashboard.severity_update:3");
    pollster::block_on(p.handle(&id).replay(3)).unwrap();
    p.drain();
    assert_eq!(step.crashes(), 1);
    // The effect ran twice (once before the crash), its step succeeded once after it: the
    // D1 upsert is idempotent by event id, and nothing else ran again.
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:4"), 1);
    assert!(dead_letters(&p, &id).is_empty());
}

/// The engine accepts event 3 and loses it (the local engine can, when its process is killed):
/// the object counts it published and never sends it again. The instance sees event 4 after
/// event 2, asks the object for what it missed, and handles event 3 before event 4.
#[test]
fn an_event_the_engine_accepted_and_lost_is_recovered_when_the_next_one_arrives() {
    let p = pipeline();
    let id = p.declare("checkout failing"); // event 1
    p.drain(); // event 2: triage's note (no model)
    p.workflows.drop_events_when(|operation, _, payload| {
        operation == "send_event" && event_id(payload) == 3
    });
    p.apply(&id, severity(Severity::High)); // event 3: accepted, then lost
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 0);
    assert!(
        dead_letters(&p, &id).is_empty(),
        "the object counts it delivered"
    );

    p.workflows.clear_faults();
    p.apply(&id, severity(Severity::Low)); // event 4
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:4"), 1);
    assert_eq!(p.successful_steps(&format!("incident.missed:{id}:2:4")), 1);
    let handled: Vec<i64> = p
        .workflows
        .step(&instance_id(&id, 1))
        .unwrap()
        .records()
        .iter()
        .filter_map(|r| match r {
            sluice::native::StepRecord::Attempt {
                name, error: None, ..
            } if name.starts_with("dashboard.severity_update:") => {
                name.rsplit(':').next().and_then(|n| n.parse().ok())
            }
            _ => None,
        })
        .collect();
    assert_eq!(handled, [3, 4], "in event order");
}

/// The engine loses the newest event and nothing follows it: the object sends the newest
/// event again after `NUDGE_AFTER_MS` of quiet (and twice more later), and the instance
/// handles it once.
#[test]
fn a_lost_newest_event_is_sent_once_more_after_a_quiet_period() {
    let p = pipeline();
    let id = p.declare("checkout failing"); // event 1
    p.drain(); // event 2: triage's note (no model)
    lose_first_send_of(&p, 3);
    p.apply(&id, severity(Severity::High)); // event 3: accepted, then lost
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
    let waits = p
        .workflows
        .step(&instance_id(&id, 1))
        .unwrap()
        .records()
        .iter()
        .filter(|r| matches!(r, sluice::native::StepRecord::Waited { .. }))
        .count();
    assert!(waits >= 2, "event 3 came from the second send");
    let again = p.clock.get() + 10 * incidentd_core::forward::NUDGE_AFTER_MS;
    p.clock.set(again);
    p.drain();
    assert_eq!(
        p.successful_steps("dashboard.severity_update:3"),
        1,
        "handled once however often it is re-sent"
    );
}

/// Found by the fault campaign (seeds 253 and 1126): the engine loses an event, then the
/// close's `last` forward is refused, so the close opens generation 2 and generation 1 never
/// gets a later event to reveal the loss. The object sends generation 1 its tail marked
/// `last`: it handles the lost event, reports and ends, and the incident is finalised only
/// after both generations reported.
#[test]
fn an_event_lost_before_the_close_moved_to_a_new_generation_is_still_handled() {
    let p = pipeline();
    let id = p.declare("checkout failing"); // event 1
    p.drain(); // event 2: triage's note (no model)
    lose_first_send_of(&p, 3);
    let mut refused = false;
    p.workflows.fail_when(move |_, _, payload| {
        let refuse = payload["last"] == true && !refused;
        refused |= refuse;
        refuse.then(|| "engine refused the close".to_owned())
    });
    p.apply(&id, severity(Severity::High)); // event 3: accepted, then lost
    p.alarm(&id);
    p.apply(&id, status(Status::Resolved)); // event 4: refused once, then generation 2
    p.drain();

    assert_eq!(
        p.successful_steps("dashboard.severity_update:3"),
        1,
        "the lost event was handled, once"
    );
    assert_eq!(p.successful_steps("dashboard.status_update:4"), 1);
    for generation in [1, 2] {
        assert!(
            matches!(
                p.workflows.instance_status(&instance_id(&id, generation)),
                Some(InstanceStatus::Complete(_))
            ),
            "generation {generation} ended"
        );
    }
    assert!(p.incidents.object(&id).object.state().unwrap().is_none());
    assert_eq!(p.analysis.instance_ids(), [format!("analysis-{id}")]);
}

/// A dead letter replayed into an open incident is its generation's tail even though newer
/// events were forwarded before it: if the engine loses it, the quiet-period re-send brings
/// it (the newest event alone would not, the instance has handled that one).
#[test]
fn a_lost_replayed_dead_letter_is_sent_again_after_a_quiet_period() {
    let p = pipeline();
    replay_event_3_and_lose_it(&p);
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 0);
    p.clock
        .set(p.clock.get() + incidentd_core::forward::NUDGE_AFTER_MS);
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:4"), 1);
}

/// Found by the fault campaign (seed 6368): a replayed dead letter lost by the engine and
/// then followed by newer events is nobody's tail and reveals no gap. The object's quiet-period
/// re-send lists the generation's replays, and the instance asks for the one it lacks.
#[test]
fn a_lost_replayed_dead_letter_followed_by_newer_events_is_recovered() {
    let p = pipeline();
    let id = replay_event_3_and_lose_it(&p);
    p.apply(&id, severity(Severity::Medium)); // event 5, delivered after it
    p.alarm(&id);
    p.workflows.run_pending();
    assert_eq!(p.successful_steps("dashboard.severity_update:5"), 1);
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 0);
    p.clock
        .set(p.clock.get() + incidentd_core::forward::NUDGE_AFTER_MS);
    p.drain();
    assert_eq!(p.successful_steps("dashboard.severity_update:3"), 1);
}
