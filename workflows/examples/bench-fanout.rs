//! Throughput of the IncidentWorkflow fan-out on the native host: events per second through
//! the real registered senders (the D1 index on an in-process SQLite, the webhook unset) plus
//! the engine's memoisation. A benchmark, not a test: it prints figures.
//!
//! `cargo run --release -p incidentd-workflows --example bench-fanout [-- <events>]`

use incidentd_core::model::{IncidentState, Severity, Source, Status};
use incidentd_core::{IncidentCreated, IncidentMessage, WORKFLOW_EVENT_TYPE};
use incidentd_runtime::native::{NativeServices, NativeStep, SqliteDatabase};
use incidentd_runtime::registry;
use incidentd_runtime::sql::Database;
use incidentd_runtime::workflow::WorkflowRun;
use std::rc::Rc;
use std::time::Instant;

fn message(event_id: i64, last: bool) -> IncidentMessage {
    let status = if last { Status::Resolved } else { Status::Open };
    let incident = IncidentState {
        id: "bench".into(),
        tenant_id: "demo".into(),
        status,
        severity: Severity::Medium,
        title: format!("event {event_id}"),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
        created_at: 0,
        updated_at: event_id,
        last_event_id: event_id,
    };
    let data = IncidentCreated {
        status,
        severity: Severity::Medium,
        title: incident.title.clone(),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
    };
    IncidentMessage {
        incident_id: "bench".into(),
        event_id,
        event_type: "INCIDENT_CREATED".into(),
        data: serde_json::to_value(data).expect("serialises"),
        at: event_id,
        incident,
    }
}

fn main() {
    incidentd_workflows::link();
    let events: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let db = Rc::new(SqliteDatabase::in_memory());
    db.apply(include_str!("../../migrations/0001_incident_index.sql"))
        .expect("migration");
    let mut services = NativeServices::default();
    services
        .databases
        .insert("DB".into(), db as Rc<dyn Database>);
    let engine = Rc::new(NativeStep::new());
    for id in 2..=events {
        let payload = serde_json::to_value(message(id, id == events)).expect("serialises");
        engine.send_event(WORKFLOW_EVENT_TYPE, payload);
    }
    let run = WorkflowRun {
        class_name: "IncidentWorkflow",
        instance_id: "incident-bench".into(),
        payload: serde_json::to_value(message(1, events == 1)).expect("serialises"),
        step: engine.clone(),
        services: Rc::new(services),
    };
    let handlers: usize = registry::effects("IncidentWorkflow")
        .iter()
        .map(|e| {
            e.handlers
                .iter()
                .filter(|h| h.event == "INCIDENT_CREATED")
                .count()
        })
        .sum();
    let def = registry::workflow("IncidentWorkflow").expect("registered");
    let start = Instant::now();
    let output = engine.run_to_completion(def, run).expect("completes");
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(output["events_handled"], events);
    println!(
        "IncidentWorkflow fan-out on the native host: {events} events x {handlers} handlers in {seconds:.3} s = {:.0} events/s ({:.0} handler steps/s)",
        events as f64 / seconds,
        (events as usize * handlers) as f64 / seconds
    );
}
