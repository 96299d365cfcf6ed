//! Throughput of the IncidentWorkflow fan-out on the native host: events per second through
//! the real registered senders (the D1 index on an in-process SQLite, the webhook unset) plus
//! the engine's memoisation. A benchmark, not a test: it prints figures.
//!
//! `cargo run --release -p incidentd-workflows --example bench-fanout [-- <events>]`

use incidentd_core::model::Status;
use incidentd_core::{IncidentMessage, WORKFLOW_EVENT_TYPE};
use sluice::native::{NativeServices, NativeStep, SqliteDatabase};
use sluice::registry;
use sluice::sql::Database;
use sluice::workflow::WorkflowRun;
use sluice::EventKind;
use std::rc::Rc;
use std::time::Instant;

fn message(event_id: i64, last: bool) -> IncidentMessage {
    let status = if last { Status::Resolved } else { Status::Open };
    incidentd_core::testing::message("bench", event_id, status, &format!("event {event_id}"))
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
        class_name: incidentd_workflows::incident::CLASS,
        instance_id: "incident-bench".into(),
        payload: serde_json::to_value(message(1, events == 1)).expect("serialises"),
        step: engine.clone(),
        services: Rc::new(services),
    };
    let handlers: usize = registry::effects(incidentd_workflows::incident::CLASS)
        .iter()
        .map(|e| {
            e.handlers
                .iter()
                .filter(|h| h.event == incidentd_core::IncidentCreated::EVENT_TYPE)
                .count()
        })
        .sum();
    let def = registry::workflow(incidentd_workflows::incident::CLASS).expect("registered");
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
