//! A workflow step changes an incident through the typed handle: the same validation and
//! outbox path as the API, its actor recorded, and exactly one event even when the step is
//! retried after the change was applied.

use incidentd_core::{
    Actor, ActorKind, Command, DomainError, Idempotency, IncidentCallError, IncidentServices,
    Status,
};
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use serde::{Deserialize, Serialize};
use sluice::native::NativeStep;
use sluice::step;
use sluice::typed_step::StepContext;
use sluice::workflow::WorkflowRun;
use sluice::EffectError;
use std::rc::Rc;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
struct Mitigate {
    incident_id: String,
    status: Status,
}

/// What an AI workflow does when the agent decides the incident is mitigated.
#[step(name = "test.mitigate", idempotency_key = "{incident_id}:mitigate")]
async fn mitigate(ctx: StepContext, input: Mitigate) -> Result<Option<i64>, EffectError> {
    let applied = ctx
        .services
        .incident(&input.incident_id, TENANT)?
        .apply(
            Actor::agent(),
            Command::UpdateStatus {
                status: input.status,
                message: "the agent saw the error rate recover".into(),
            },
            Idempotency::Key(ctx.idempotency_key.clone()),
        )
        .await?;
    Ok(applied.event_id)
}

fn run(p: &Pipeline, step: Rc<NativeStep>) -> WorkflowRun {
    WorkflowRun {
        class_name: incidentd_workflows::incident::CLASS,
        instance_id: "test-run".into(),
        payload: serde_json::Value::Null,
        step,
        services: p.services.clone(),
    }
}

#[test]
fn a_step_applies_a_change_once_even_when_retried_after_applying_it() {
    let p = Pipeline::new();
    let id = p.declare("api errors");
    let step = Rc::new(NativeStep::new());
    // The isolate dies right after the change was applied, before the step's result is kept:
    // the engine runs the step again.
    step.crash_once_after_step(&format!("test.mitigate:{id}:mitigate"));
    let input = Mitigate {
        incident_id: id.clone(),
        status: Status::Mitigating,
    };
    let mut outcome = None;
    for _ in 0..2 {
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pollster::block_on(MITIGATE.call(&run(&p, step.clone()), input.clone()))
        }));
        if let Ok(result) = attempt {
            outcome = Some(result.expect("the step succeeds"));
            break;
        }
    }
    assert_eq!(step.crashes(), 1);
    assert_eq!(outcome, Some(Some(2)), "the retry answers the first event");

    let view = pollster::block_on(p.handle(&id).get()).unwrap();
    assert_eq!(view.incident.status, Status::Mitigating);
    let updates: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.event_type == "STATUS_UPDATE")
        .collect();
    assert_eq!(updates.len(), 1, "one event for two applications");
    assert_eq!(
        updates[0].actor.as_ref().map(|a| a.kind),
        Some(ActorKind::Agent)
    );
}

#[test]
fn a_step_gets_the_same_refusals_as_the_api() {
    let p = Pipeline::new();
    let id = p.declare("disk full");
    let input = Mitigate {
        incident_id: id.clone(),
        status: Status::Open, // open → open is not a transition
    };
    let error = pollster::block_on(MITIGATE.call(&run(&p, Rc::new(NativeStep::new())), input))
        .expect_err("refused");
    assert!(
        error.to_string().contains("cannot move from open to open"),
        "{error}"
    );
    // Another tenant's handle does not find the incident.
    let other = p.services.incident(&id, "other-tenant").unwrap();
    assert_eq!(
        pollster::block_on(other.get()).unwrap_err(),
        IncidentCallError::Domain(DomainError::NotFound)
    );
}

#[test]
fn a_sender_records_what_it_made_on_the_incident() {
    use incidentd_adapters::webhook::{REFERENCE_KEY, URL_VAR};
    use sluice::native::{RecordingServer, Scripted};
    let receiver = RecordingServer::start(vec![
        Scripted::status(201).body(r#"{"reference":"TICKET-42"}"#)
    ]);
    let p = Pipeline::with_config(
        sluice::outbox::OutboxPolicy::default(),
        &[(URL_VAR, &receiver.url)],
    );
    let id = p.declare("login broken");
    p.drain();
    let view = pollster::block_on(p.handle(&id).get()).unwrap();
    assert_eq!(
        view.incident
            .metadata
            .get(REFERENCE_KEY)
            .map(String::as_str),
        Some("TICKET-42")
    );
    // INCIDENT_CREATED and triage's note (no model here); the bookkeeping writes no event.
    assert_eq!(view.timeline.len(), 2, "bookkeeping writes no event");
    assert_eq!(receiver.requests().len(), 1);
}
