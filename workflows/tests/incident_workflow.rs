//! IncidentWorkflow on the native engine, with the real D1 migration on an in-process SQLite:
//! fan-out to the dashboard sender, redelivered events, and the index only moving forward.

use incidentd_core::model::Status;
use incidentd_core::{IncidentMessage, WORKFLOW_EVENT_TYPE};
use serde_json::json;
use sluice::native::{NativeServices, NativeStep, SqliteDatabase, StepRecord};
use sluice::sql::Database;
use sluice::workflow::WorkflowRun;
use std::rc::Rc;

const MIGRATION: &str = include_str!("../../migrations/0001_incident_index.sql");

fn message(event_id: i64, status: Status, title: &str) -> IncidentMessage {
    incidentd_core::testing::message("inc-1", event_id, status, title)
}

struct Harness {
    step: Rc<NativeStep>,
    db: Rc<SqliteDatabase>,
    run: WorkflowRun,
}

fn harness(first: &IncidentMessage) -> Harness {
    incidentd_workflows::link();
    let db = Rc::new(SqliteDatabase::in_memory());
    db.apply(MIGRATION).unwrap();
    let mut services = NativeServices::default();
    services
        .databases
        .insert("DB".into(), db.clone() as Rc<dyn Database>);
    let step = Rc::new(NativeStep::new());
    let run = WorkflowRun {
        class_name: "IncidentWorkflow",
        instance_id: "incident-inc-1".into(),
        payload: serde_json::to_value(first).unwrap(),
        step: step.clone(),
        services: Rc::new(services),
    };
    Harness { step, db, run }
}

fn index_row(db: &SqliteDatabase) -> Vec<serde_json::Map<String, serde_json::Value>> {
    pollster::block_on(db.query(
        "SELECT id, tenant_id, status, title, last_event_id FROM incident_index",
        vec![],
    ))
    .unwrap()
}

#[test]
fn the_created_event_reaches_the_index_and_the_run_ends_at_a_terminal_status() {
    let first = message(1, Status::Open, "Checkout failing");
    let h = harness(&first);
    h.step.send_event(
        WORKFLOW_EVENT_TYPE,
        serde_json::to_value(message(2, Status::Resolved, "Checkout fixed")).unwrap(),
    );

    let output = pollster::block_on(incidentd_workflows::incident::incident_workflow(
        h.run.clone(),
        first.clone(),
    ))
    .unwrap();
    assert_eq!(
        output,
        json!({ "incident_id": "inc-1", "events_handled": 2, "last_event_id": 2, "idle": false })
    );

    let rows = index_row(&h.db);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0]["status"].as_str(),
            rows[0]["last_event_id"].as_i64()
        ),
        (Some("resolved"), Some(2))
    );
    let step_names: Vec<String> = h
        .step
        .records()
        .into_iter()
        .filter_map(|r| match r {
            StepRecord::Attempt { name, .. } if name.starts_with("dashboard.") => Some(name),
            _ => None,
        })
        .collect();
    assert_eq!(
        step_names,
        [
            "dashboard.incident_created:1",
            "dashboard.incident_created:2"
        ],
        "step names carry the event id"
    );
}

#[test]
fn a_redelivered_event_produces_no_second_effect_and_an_old_one_never_overwrites() {
    let first = message(1, Status::Open, "v1");
    let h = harness(&first);
    let second = serde_json::to_value(message(2, Status::Mitigating, "v2")).unwrap();
    h.step.send_event(WORKFLOW_EVENT_TYPE, second.clone());
    h.step.send_event(WORKFLOW_EVENT_TYPE, second); // at-least-once forwarding delivered it twice
    h.step.send_event(
        WORKFLOW_EVENT_TYPE,
        serde_json::to_value(message(3, Status::Resolved, "v3")).unwrap(),
    );

    pollster::block_on(incidentd_workflows::incident::incident_workflow(
        h.run.clone(),
        first.clone(),
    ))
    .unwrap();
    let attempts = h
        .step
        .records()
        .iter()
        .filter(|r| matches!(r, StepRecord::Attempt { name, .. } if name.starts_with("dashboard.")))
        .count();
    assert_eq!(attempts, 3, "one effect per distinct event");

    // A late, older snapshot applied directly to the index is ignored.
    let stale = message(1, Status::Open, "stale");
    let ctx = sluice::registry::SendContext {
        idempotency_key: "incident-inc-1:1:dashboard.incident_created".into(),
        event_id: 1,
        services: h.run.services.clone(),
    };
    pollster::block_on(incidentd_adapters::dashboard::sender::upsert(
        &ctx,
        &stale.incident,
        1,
    ))
    .unwrap();
    let rows = index_row(&h.db);
    assert_eq!(
        (rows[0]["title"].as_str(), rows[0]["last_event_id"].as_i64()),
        (Some("v3"), Some(3))
    );
}

#[test]
fn a_failing_sender_is_retried_per_its_policy_and_never_fails_the_run() {
    let first = message(1, Status::Resolved, "t");
    let h = harness(&first);
    // Break the index: every attempt of the sender fails.
    pollster::block_on(h.db.execute("DROP TABLE incident_index", vec![])).unwrap();

    let output = pollster::block_on(incidentd_workflows::incident::incident_workflow(
        h.run.clone(),
        first.clone(),
    ));
    assert!(
        output.is_ok(),
        "a sender failure is isolated from the run: {output:?}"
    );
    let attempts = h.step.delivery_attempts("dashboard.incident_created:1");
    let gaps: Vec<u64> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    // The attribute says limit 5, 1 s exponential; retry-policies.toml raises the dashboard's
    // limit and caps the delay: the lane waits 1, 2, 4, ... s, each cut by up to a fifth
    // (jitter), until the cap.
    let policy = sluice::registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "dashboard")
        .and_then(|e| {
            e.handlers
                .iter()
                .find(|h| h.event == "INCIDENT_CREATED")
                .map(|h| h.effective_config(e))
        })
        .expect("the dashboard handles declarations")
        .retries;
    assert_eq!(attempts.len() as u32, policy.limit + 1, "{attempts:?}");
    for (retry, gap) in (1..).zip(&gaps) {
        let scheduled = policy.delay_before_retry(retry).as_millis();
        assert!(
            *gap <= scheduled && gap * 100 >= scheduled * 80,
            "wait before retry {retry}: {gap} ms, scheduled {scheduled} ms"
        );
    }
}

#[test]
fn an_idle_instance_ends_quietly_when_its_wait_times_out() {
    // No next event: the native engine's wait times out, as Cloudflare's would after 7 days.
    let first = message(1, Status::Open, "quiet");
    let h = harness(&first);
    let output = pollster::block_on(incidentd_workflows::incident::incident_workflow(
        h.run.clone(),
        first.clone(),
    ));
    assert_eq!(
        output.expect("a timeout is not a failure"),
        json!({ "incident_id": "inc-1", "events_handled": 1, "last_event_id": 1, "idle": true })
    );
}
