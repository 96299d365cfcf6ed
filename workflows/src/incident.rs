//! `IncidentWorkflow`: one long-lived instance per incident (generation). It fans out the
//! event it was created with, then waits for each next event the outbox sends, until the
//! forwarder marks a message `last` (the incident is closed and nothing else waits). A wait
//! that times out ends the run quietly: the outbox knows the timeout and sends later events
//! to a new generation, so none is lost.
//!
//! Events may arrive out of order (a replayed dead letter comes after later events) and more
//! than once (forwarding is at least once). Each event's handlers run once per instance: the
//! set of handled event ids is rebuilt deterministically on every replay of the run.
//!
//! Forwarding is in event order, so an event newer than the next expected one means the ones
//! in between were dead-lettered or lost by the engine after it accepted them (the local
//! engine can lose one when its process is killed). The instance then asks the object for the
//! published ones among them (`incident.missed` step) and handles them first.
//!
//! `INCIDENT_CREATED` is triaged first (`crate::ai::triage`): its bounded steps may page
//! another entry point, set the severity and rewrite the title, and the fan-out then carries
//! the triaged state, so the first notification already uses it.

use crate::ai::triage;
use incidentd_core::model::event_type;
use incidentd_core::{
    DomainError, IncidentCallError, IncidentMessage, IncidentServices, INCIDENT_WORKFLOW,
    WORKFLOW_EVENT_TYPE,
};
use incidentd_runtime::fanout::{self, Event};
use incidentd_runtime::typed_step::StepContext;
use incidentd_runtime::workflow;
use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::{step, EffectError};
use incidentd_runtime::{Duration, StepError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const CLASS: &str = INCIDENT_WORKFLOW;

/// How long the instance waits for the next event (the outbox rolls over before it lapses).
pub const WAIT_TIMEOUT: Duration =
    Duration::from_millis(incidentd_core::forward::WAIT_TIMEOUT_MS as u64);

#[workflow(
    class = "IncidentWorkflow",
    binding = "INCIDENT_WORKFLOW",
    name = "incident-workflow",
    fans_out = true,
    steps = [
        triage::context,
        triage::ask,
        triage::apply,
        triage::note,
        missed_events,
        report_finished
    ]
)]
pub async fn incident_workflow(
    run: WorkflowRun,
    first: IncidentMessage,
) -> Result<Value, WorkflowError> {
    let mut newest = first.event_id;
    let mut message = first;
    let mut handled = BTreeSet::new();
    let mut waits = 0u32;
    loop {
        message = handle(&run, message, &mut handled).await?;
        if message.last {
            break;
        }
        waits += 1;
        let name = format!("wait-for-event:{waits}");
        match run
            .step
            .wait_for::<IncidentMessage>(&name, WORKFLOW_EVENT_TYPE, WAIT_TIMEOUT)
            .await
        {
            Ok(next) => {
                if next.event_id > newest + 1 && !handled.contains(&next.event_id) {
                    for missed in recover_missed(&run, &next, newest).await {
                        handle(&run, missed, &mut handled).await?;
                    }
                }
                newest = newest.max(next.event_id);
                message = next;
            }
            // Idle past the timeout: end quietly; the outbox sends later events to a new
            // generation.
            Err(StepError::TimedOut) => return Ok(summary(&message, &handled, true)),
            Err(e) => return Err(e.into()),
        }
    }
    // The incident is closed and this instance handled its last event: the object may now
    // archive itself and delete its storage (senders no longer read it).
    let finished = Finished {
        incident_id: message.incident_id.clone(),
        tenant_id: message.incident.tenant_id.clone(),
        last_event_id: message.event_id,
        instance_id: run.instance_id.clone(),
    };
    REPORT_FINISHED.call(&run, finished).await?;
    Ok(summary(&message, &handled, false))
}

/// Runs the event's handlers, once per instance; returns the message as handled (triage may
/// have changed the incident it carries).
async fn handle(
    run: &WorkflowRun,
    mut message: IncidentMessage,
    handled: &mut BTreeSet<i64>,
) -> Result<IncidentMessage, WorkflowError> {
    // A redelivery of an event this instance handled: its effects ran already (the engine
    // keys steps by name and count, so running it again would repeat them).
    if !handled.insert(message.event_id) {
        return Ok(message);
    }
    if message.event_type == event_type::INCIDENT_CREATED {
        message = triage::triage(run, message).await;
    }
    let subject = format!("incident={}", message.incident_id);
    let payload = serde_json::to_value(&message).map_err(|e| WorkflowError(e.to_string()))?;
    let event = Event {
        subject: &subject,
        event_type: &message.event_type,
        event_id: message.event_id,
        message: payload,
    };
    fanout::dispatch(run, event).await;
    Ok(message)
}

/// The published events between `newest` and `next` that this instance never got. If the
/// object cannot be asked, none: the instance goes on rather than stopping every later event.
async fn recover_missed(
    run: &WorkflowRun,
    next: &IncidentMessage,
    newest: i64,
) -> Vec<IncidentMessage> {
    let gap = Gap {
        incident_id: next.incident_id.clone(),
        tenant_id: next.incident.tenant_id.clone(),
        after: newest,
        before: next.event_id,
    };
    match MISSED_EVENTS.call(run, gap).await {
        Ok(missed) => missed,
        Err(e) => {
            incidentd_runtime::log::info(&format!(
                "incident={} events {}..{} may be missing: {e:?}",
                next.incident_id, newest, next.event_id
            ));
            Vec::new()
        }
    }
}

/// Events after `after` and before `before` that an instance did not get.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gap {
    pub incident_id: String,
    pub tenant_id: String,
    pub after: i64,
    pub before: i64,
}

#[step(
    name = "incident.missed",
    idempotency_key = "{incident_id}:{after}:{before}",
    retries(limit = 3, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds"
)]
async fn missed_events(ctx: StepContext, gap: Gap) -> Result<Vec<IncidentMessage>, EffectError> {
    let handle = ctx.services.incident(&gap.incident_id, &gap.tenant_id)?;
    let missed = handle.missed_events(gap.after, gap.before).await?;
    if !missed.is_empty() {
        let ids: Vec<i64> = missed.iter().map(|m| m.event_id).collect();
        incidentd_runtime::log::info(&format!(
            "incident={} {RECOVERED_LOG} {ids:?}",
            gap.incident_id
        ));
    }
    Ok(missed)
}

/// How the log names events recovered by `incident.missed` (tests count these lines).
pub const RECOVERED_LOG: &str = "recovered events the engine lost:";

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finished {
    pub incident_id: String,
    pub tenant_id: String,
    pub last_event_id: i64,
    /// This instance: the object ignores a report from a generation it has moved past.
    #[serde(default)]
    pub instance_id: String,
}

#[step(
    name = "incident.finished",
    idempotency_key = "{incident_id}:{last_event_id}",
    retries(limit = 5, delay = "5 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn report_finished(ctx: StepContext, finished: Finished) -> Result<(), EffectError> {
    let reported = match ctx
        .services
        .incident(&finished.incident_id, &finished.tenant_id)
    {
        Ok(incident) => {
            incident
                .workflow_finished(
                    finished.last_event_id,
                    Some(finished.instance_id.as_str()).filter(|id| !id.is_empty()),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match reported {
        // Already finalised (its grace period ran out first): nothing left to tell.
        Err(IncidentCallError::Domain(DomainError::NotFound)) => Ok(()),
        other => Ok(other?),
    }
}

fn summary(message: &IncidentMessage, handled: &BTreeSet<i64>, idle: bool) -> Value {
    json!({
        "incident_id": message.incident_id,
        "events_handled": handled.len(),
        "last_event_id": handled.last().copied().unwrap_or(0),
        "idle": idle,
    })
}
