//! The Incident Durable Object's logic over an in-process SQLite and a recording workflow
//! engine: commits are atomic, events reach the workflow in order, failures are retried,
//! a duplicate create is harmless.

use incidentd_core::model::{Severity, Source, Status};
use incidentd_core::object::{IncidentObject, StartIncident, Started};
use incidentd_core::{workflow_instance_id, DomainError, IncidentMessage};
use incidentd_runtime::native::SqliteStore;
use incidentd_runtime::sql::SqlStore;
use incidentd_runtime::workflow::{Created, WorkflowClient, WorkflowClientError};
use incidentd_runtime::BoxFuture;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

/// A workflow engine that records instances and events, and can be told to fail.
#[derive(Default)]
struct FakeEngine {
    instances: RefCell<BTreeMap<String, Vec<Value>>>,
    create_calls: RefCell<u32>,
    failures: RefCell<VecDeque<String>>,
}

impl WorkflowClient for FakeEngine {
    fn create<'a>(
        &'a self,
        id: &'a str,
        params: &'a Value,
    ) -> BoxFuture<'a, Result<Created, WorkflowClientError>> {
        Box::pin(async move {
            *self.create_calls.borrow_mut() += 1;
            if let Some(e) = self.failures.borrow_mut().pop_front() {
                return Err(WorkflowClientError(e));
            }
            let mut instances = self.instances.borrow_mut();
            if instances.contains_key(id) {
                return Ok(Created::AlreadyExisted);
            }
            instances.insert(id.to_owned(), vec![params.clone()]);
            Ok(Created::New)
        })
    }

    fn send_event<'a>(
        &'a self,
        id: &'a str,
        _: &'a str,
        payload: &'a Value,
    ) -> BoxFuture<'a, Result<(), WorkflowClientError>> {
        Box::pin(async move {
            match self.instances.borrow_mut().get_mut(id) {
                Some(events) => {
                    events.push(payload.clone());
                    Ok(())
                }
                None => Err(WorkflowClientError(format!("instance {id} not found"))),
            }
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, WorkflowClientError>> {
        Box::pin(async move {
            Ok(serde_json::json!({ "exists": self.instances.borrow().contains_key(id) }))
        })
    }
}

fn start_input(prompt: &str) -> StartIncident {
    StartIncident {
        id: "abc123".into(),
        tenant_id: "demo".into(),
        prompt: prompt.into(),
        title: None,
        severity: None,
        created_by: "user-1".into(),
        source: Source::Dashboard,
    }
}

fn object() -> IncidentObject<SqliteStore> {
    IncidentObject::open(SqliteStore::in_memory()).unwrap()
}

#[test]
fn start_commits_state_event_and_alarm_together() {
    let object = object();
    let Started::Created(state) = object
        .start(start_input("Checkout is failing\nsince 10:02"), 1_000)
        .unwrap()
    else {
        panic!("expected a new incident");
    };
    assert_eq!(state.status, Status::Open);
    assert_eq!(state.severity, Severity::Medium);
    assert_eq!(
        state.title, "Checkout is failing",
        "fallback title: the prompt's first line"
    );
    assert_eq!(state.last_event_id, 1);
    assert_eq!(object.store().alarm(), Some(1_000));

    let view = object.get().unwrap();
    assert_eq!(view.incident, state);
    assert_eq!(view.timeline.len(), 1);
    assert_eq!(view.timeline[0].event_type, "INCIDENT_CREATED");
    assert_eq!(view.timeline[0].data["title"], "Checkout is failing");
    assert_eq!(view.timeline[0].published_at, None);
}

#[test]
fn a_storage_failure_during_start_commits_nothing() {
    let object = object();
    object
        .store()
        .fail_next_statement_containing("INSERT INTO incident");
    assert!(matches!(
        object.start(start_input("db down"), 1_000),
        Err(DomainError::Storage(_))
    ));
    assert_eq!(object.get(), Err(DomainError::NotFound));
    assert_eq!(object.store().alarm(), None);
    // The outbox kept no orphan row: the next start gets event id 1.
    let Started::Created(state) = object.start(start_input("db down"), 2_000).unwrap() else {
        panic!()
    };
    assert_eq!(state.last_event_id, 1);
}

#[test]
fn invalid_input_is_rejected_and_nothing_is_written() {
    let object = object();
    let err = object.start(start_input("   "), 1_000).unwrap_err();
    assert_eq!(err, DomainError::invalid("prompt", "must not be empty"));
    let long = StartIncident {
        title: Some("x".repeat(121)),
        ..start_input("p")
    };
    assert!(matches!(
        object.start(long, 1_000),
        Err(DomainError::Invalid { field: "title", .. })
    ));
    assert_eq!(object.get(), Err(DomainError::NotFound));
    assert_eq!(object.store().alarm(), None);
}

#[test]
fn a_second_start_is_a_no_op() {
    let object = object();
    object.start(start_input("first"), 1_000).unwrap();
    let again = object.start(start_input("second"), 2_000).unwrap();
    assert!(matches!(again, Started::AlreadyExisted(ref s) if s.prompt == "first"));
    assert_eq!(object.get().unwrap().timeline.len(), 1);
}

#[test]
fn the_alarm_creates_the_workflow_with_the_state_as_of_the_event() {
    let object = object();
    object
        .start(start_input("Checkout is failing"), 1_000)
        .unwrap();
    let engine = FakeEngine::default();
    let report = pollster::block_on(object.on_alarm(&engine, 1_010)).unwrap();
    assert_eq!(report.forwarded, vec![1]);
    assert_eq!(report.next_alarm_at, None);

    let instances = engine.instances.borrow();
    let params = &instances[&workflow_instance_id("abc123")][0];
    let message: IncidentMessage = serde_json::from_value(params.clone()).unwrap();
    assert_eq!(message.event_type, "INCIDENT_CREATED");
    assert_eq!(message.event_id, 1);
    assert_eq!(message.incident.last_event_id, 1);
    assert_eq!(message.incident.title, "Checkout is failing");
    assert_eq!(object.get().unwrap().timeline[0].published_at, Some(1_010));
}

#[test]
fn a_forwarding_failure_leaves_the_event_unpublished_and_it_is_retried() {
    let object = object();
    object.start(start_input("p"), 1_000).unwrap();
    let engine = FakeEngine::default();
    engine
        .failures
        .borrow_mut()
        .push_back("workflow engine unavailable".into());

    let first = pollster::block_on(object.on_alarm(&engine, 1_000)).unwrap();
    assert_eq!(
        first.failed,
        vec![(1, "workflow engine unavailable".to_owned())]
    );
    let entry = &object.get().unwrap().timeline[0];
    assert_eq!((entry.published_at, entry.attempts), (None, 1));
    let retry_at = first.next_alarm_at.expect("the alarm re-armed itself");
    assert_eq!(object.store().alarm(), Some(retry_at));

    let second = pollster::block_on(object.on_alarm(&engine, retry_at)).unwrap();
    assert_eq!(second.forwarded, vec![1]);
    assert!(engine
        .instances
        .borrow()
        .contains_key(&workflow_instance_id("abc123")));
}

#[test]
fn a_duplicate_create_after_a_lost_acknowledgement_is_harmless() {
    let object = object();
    object.start(start_input("p"), 1_000).unwrap();
    let engine = FakeEngine::default();
    // The instance was created but the publish mark was lost (crash after the forward).
    pollster::block_on(object.on_alarm(&engine, 1_000)).unwrap();
    object
        .store()
        .execute(
            "UPDATE outbox SET published_at = NULL, next_attempt_at = 1000",
            &[],
        )
        .unwrap();

    let again = pollster::block_on(object.on_alarm(&engine, 2_000)).unwrap();
    assert_eq!(
        again.forwarded,
        vec![1],
        "already-exists counts as delivered"
    );
    assert!(again.failed.is_empty());
    assert_eq!(*engine.create_calls.borrow(), 2);
    assert_eq!(engine.instances.borrow().len(), 1, "still one instance");
    assert_eq!(
        engine.instances.borrow()[&workflow_instance_id("abc123")].len(),
        1
    );
}
