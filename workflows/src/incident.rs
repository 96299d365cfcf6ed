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
//! published ones among them (`incident.missed` step) and handles them first. The object's
//! re-sends of a generation's tail also list the dead letters replayed into it
//! ([`IncidentMessage::replayed`]): a replay followed by newer events reveals no gap, so the
//! instance asks for each one it did not handle the same way.
//!
//! An effect that runs out of retries is reported to the object (`incident.effects` step),
//! which lists it beside the dead letters until someone retries it: the retried event comes
//! back with the effects to run again ([`EffectRetry`]), handled once per round.
//!
//! `INCIDENT_CREATED` is triaged first (`crate::ai::triage`): its bounded steps may page
//! another entry point, set the severity and rewrite the title, and the fan-out then carries
//! the triaged state, so the first notification already uses it.

use crate::ai::triage;
use incidentd_core::model::{event_type, EffectRetry};
use incidentd_core::object::{EffectFailure, EffectsReport};
use incidentd_core::{
    DomainError, IncidentCallError, IncidentMessage, IncidentServices, INCIDENT_WORKFLOW,
    WORKFLOW_EVENT_TYPE,
};
use incidentd_runtime::fanout::{self, Delivery, Event, Retry};
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
        report_effects,
        report_finished
    ]
)]
pub async fn incident_workflow(
    run: WorkflowRun,
    first: IncidentMessage,
) -> Result<Value, WorkflowError> {
    let mut newest = first.event_id;
    let mut message = first;
    let mut handled = Handled::new();
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
                for (after, before) in gaps(&next, newest, &handled) {
                    for missed in recover_missed(&run, &next, after, before).await {
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

/// Which runs of which events this instance handled: `(event id, retry round)`, round 0 being
/// the event's first run.
type Handled = BTreeSet<(i64, i64)>;

/// Runs the event's handlers (or, for a retry, the effects it names), once per instance and
/// round; returns the message as handled (triage may have changed the incident it carries).
async fn handle(
    run: &WorkflowRun,
    mut message: IncidentMessage,
    handled: &mut Handled,
) -> Result<IncidentMessage, WorkflowError> {
    let round = message.retry.as_ref().map_or(0, |r| r.round);
    // A redelivery of something this instance handled: its effects ran already (the engine
    // keys steps by name, so running them again would repeat or replay them).
    if !handled.insert((message.event_id, round)) {
        return Ok(message);
    }
    if round > 0 {
        // A retry exists only once the event ran somewhere: a plain redelivery of it (a tail
        // re-send) must not run every handler again here.
        handled.insert((message.event_id, 0));
    }
    if round == 0 && message.event_type == event_type::INCIDENT_CREATED {
        message = triage::triage(run, message).await;
    }
    let subject = format!("incident={}", message.incident_id);
    let payload = serde_json::to_value(&message).map_err(|e| WorkflowError(e.to_string()))?;
    let event = Event {
        subject: &subject,
        event_type: &message.event_type,
        event_id: message.event_id,
        message: payload,
        retry: message.retry.as_ref().map(|r: &EffectRetry| Retry {
            round: r.round,
            effects: &r.effects,
        }),
    };
    let deliveries = fanout::dispatch(run, event).await;
    report(run, &message, round, deliveries).await;
    Ok(message)
}

/// Tells the object about effects that ran out of retries, and about a retry's outcome. A
/// first run whose effects all succeeded has nothing to tell.
async fn report(
    run: &WorkflowRun,
    message: &IncidentMessage,
    round: i64,
    deliveries: Vec<Delivery>,
) {
    let (failed, succeeded): (Vec<Delivery>, Vec<Delivery>) =
        deliveries.into_iter().partition(|d| d.error.is_some());
    if round == 0 && failed.is_empty() {
        return;
    }
    let outcomes = EffectOutcomes {
        incident_id: message.incident_id.clone(),
        tenant_id: message.incident.tenant_id.clone(),
        event: message.event_id,
        round,
        failed: failed
            .into_iter()
            .map(|d| EffectFailure {
                effect: d.effect.to_owned(),
                error: d.error.unwrap_or_default(),
                step: d.step,
            })
            .collect(),
        succeeded: succeeded.into_iter().map(|d| d.effect.to_owned()).collect(),
    };
    if let Err(e) = REPORT_EFFECTS.call(run, outcomes).await {
        // The failures stay in the log (`effect failed:` lines) even if the object cannot be
        // told; the run goes on rather than holding every later event.
        incidentd_runtime::log::error(&format!(
            "incident={} event={} effects report failed: {e:?}",
            message.incident_id, message.event_id
        ));
    }
}

/// What [`report`] sends: an event's effects that failed and succeeded, in one run.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EffectOutcomes {
    pub incident_id: String,
    pub tenant_id: String,
    /// The event's id (`{event_id}` names the current event only in sender keys).
    pub event: i64,
    /// 0 for the event's first run, else the retry's round.
    pub round: i64,
    pub failed: Vec<EffectFailure>,
    pub succeeded: Vec<String>,
}

#[step(
    name = "incident.effects",
    idempotency_key = "{incident_id}:{event}:{round}",
    retries(limit = 5, delay = "5 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn report_effects(ctx: StepContext, outcomes: EffectOutcomes) -> Result<(), EffectError> {
    let handle = ctx
        .services
        .incident(&outcomes.incident_id, &outcomes.tenant_id)?;
    let report = EffectsReport {
        event_id: outcomes.event,
        round: outcomes.round,
        failed: outcomes.failed,
        succeeded: outcomes.succeeded,
    };
    match handle.effects_report(report).await {
        // Finalised meanwhile (its grace ran out): nothing left to tell.
        Err(IncidentCallError::Domain(DomainError::NotFound)) => Ok(()),
        other => Ok(other?),
    }
}

/// The ranges of events this instance should have got before `next` (exclusive bounds): the
/// ones between its newest and a newer first run, and each replayed dead letter the object's
/// re-send lists that it did not handle.
fn gaps(next: &IncidentMessage, newest: i64, handled: &Handled) -> Vec<(i64, i64)> {
    let mut gaps = Vec::new();
    if next.retry.is_none() && next.event_id > newest + 1 && !handled.contains(&(next.event_id, 0))
    {
        gaps.push((newest, next.event_id));
    }
    gaps.extend(
        next.replayed
            .iter()
            .filter(|id| !handled.contains(&(**id, 0)))
            .map(|id| (id - 1, id + 1)),
    );
    gaps
}

/// The published events between `after` and `before` that this instance never got. If the
/// object cannot be asked, none: the instance goes on rather than stopping every later event.
async fn recover_missed(
    run: &WorkflowRun,
    next: &IncidentMessage,
    after: i64,
    before: i64,
) -> Vec<IncidentMessage> {
    let gap = Gap {
        incident_id: next.incident_id.clone(),
        tenant_id: next.incident.tenant_id.clone(),
        after,
        before,
    };
    match MISSED_EVENTS.call(run, gap).await {
        Ok(missed) => missed,
        Err(e) => {
            incidentd_runtime::log::info(&format!(
                "incident={} events {after}..{before} may be missing: {e:?}",
                next.incident_id
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

fn summary(message: &IncidentMessage, handled: &Handled, idle: bool) -> Value {
    json!({
        "incident_id": message.incident_id,
        "events_handled": handled.iter().filter(|(_, round)| *round == 0).count(),
        "last_event_id": handled.last().map_or(0, |(event, _)| *event),
        "idle": idle,
    })
}
