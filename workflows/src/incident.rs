//! `IncidentWorkflow`: one long-lived instance per incident (generation). Its receiving loop
//! takes the event it was created with, then each next event the outbox sends, until the
//! forwarder marks a message `last` (the incident is closed and nothing else waits, or the
//! message fills the generation). A wait that times out ends the run quietly: the outbox knows
//! the timeout and sends later events to a new generation, so none is lost.
//!
//! Effects are delivered on lanes (`sluice::fanout`): one per sender and
//! dispatcher, each taking the events in the order received, concurrently with the others and
//! with the receiving loop. Slack down holds only Slack's lane: the status page, the index,
//! the webhook and the agent go on. An effect out of retries holds its lane and is listed by
//! the object (`lane.report` steps) until someone retries or dismisses it; the retried event
//! comes back with the effects to run again ([`EffectRetry`]), a dismissal as an
//! `EFFECT_DISMISSED` event, and either releases the lane. When the run ends, it reports how
//! each lane ended (`incident.finished`), and the next generation's lanes start there
//! (`lane.start`, `lane.backlog`), so order holds across generations too.
//!
//! Events may arrive out of order (a replayed dead letter comes after later events) and more
//! than once (forwarding is at least once). Each event is queued on the lanes once per
//! instance: the set of handled event ids is rebuilt deterministically on every replay.
//!
//! Forwarding is in event order, so an event newer than the next expected one means the ones
//! in between were dead-lettered or lost by the engine after it accepted them (the local
//! engine can lose one when its process is killed). The instance then asks the object for the
//! published ones among them (`incident.missed` step) and handles them first. The object's
//! re-sends of a generation's tail also list the dead letters replayed into it
//! ([`IncidentMessage::replayed`]): a replay followed by newer events reveals no gap, so the
//! instance asks for each one it did not handle the same way.
//!
//! `INCIDENT_CREATED` is triaged first (`crate::ai::triage`): its bounded steps may page
//! another entry point, set the severity and rewrite the title, and the lanes then carry the
//! triaged state, so the first notification already uses it.

use crate::ai::triage;
use incidentd_core::forward::generation_of;
use incidentd_core::model::{event_type, EffectRetry};
use incidentd_core::object::{LaneUpdate, LaneUpdateKind};
use incidentd_core::{
    DomainError, EffectDismissed, IncidentCallError, IncidentMessage, IncidentServices,
    INCIDENT_WORKFLOW, WORKFLOW_EVENT_TYPE,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::fanout::{
    Event, LaneEnd, LaneLedger, LaneReport, LaneStart, Lanes, Released, ReportKind,
};
use sluice::typed_step::StepContext;
use sluice::workflow;
use sluice::workflow::{WorkflowError, WorkflowRun};
use sluice::{step, EffectError};
use sluice::{Duration, StepError};
use std::collections::BTreeSet;
use std::rc::Rc;

pub const CLASS: &str = INCIDENT_WORKFLOW;

/// How long the instance waits for the next event (the outbox rolls over before it lapses).
pub const WAIT_TIMEOUT: Duration =
    Duration::from_millis(incidentd_core::forward::WAIT_TIMEOUT_MS as u64);

#[workflow(
    class = "IncidentWorkflow",
    binding = "INCIDENT_WORKFLOW",
    name = "incident-workflow",
    fans_out = true,
    waits_for_events = true,
    steps = [
        triage::context,
        triage::ask,
        triage::apply,
        triage::note,
        missed_events,
        lane_start,
        lane_backlog,
        lane_report,
        report_finished
    ]
)]
pub async fn incident_workflow(
    run: WorkflowRun,
    first: IncidentMessage,
) -> Result<Value, WorkflowError> {
    let generation = generation_of(&first.incident_id, &run.instance_id).unwrap_or(1);
    let ledger = IncidentLedger {
        incident_id: first.incident_id.clone(),
        tenant_id: first.incident.tenant_id.clone(),
        generation,
    };
    let lanes = Lanes::open(&run, &ledger, first.incident_id.clone(), generation > 1);
    let mut handled = Handled::new();
    let (received, ends) =
        futures_util::future::join(receive(&run, &lanes, first, &mut handled), lanes.run()).await;
    let ending = received?;
    // This generation is done: the object learns how its lanes ended (the next generation
    // starts there) and, for a `last` message, that it may archive once every generation has
    // reported.
    let finished = Finished {
        incident_id: ending.message.incident_id.clone(),
        tenant_id: ending.message.incident.tenant_id.clone(),
        last_event_id: ending.message.event_id,
        instance_id: run.instance_id.clone(),
        lanes: ends,
    };
    REPORT_FINISHED.call(&run, finished).await?;
    Ok(summary(&ending.message, &handled, !ending.last))
}

/// How the receiving loop ended.
struct Ending {
    /// The newest message handled.
    message: IncidentMessage,
    /// It was marked `last` (else the wait for the next one timed out).
    last: bool,
}

/// The receiving loop: queues each event on the lanes until a `last` message or the wait's
/// timeout, then closes the lanes (also on failure, or they would wait forever).
async fn receive(
    run: &WorkflowRun,
    lanes: &Lanes<'_>,
    first: IncidentMessage,
    handled: &mut Handled,
) -> Result<Ending, WorkflowError> {
    let ending = receive_until_done(run, lanes, first, handled).await;
    lanes.close();
    ending
}

async fn receive_until_done(
    run: &WorkflowRun,
    lanes: &Lanes<'_>,
    first: IncidentMessage,
    handled: &mut Handled,
) -> Result<Ending, WorkflowError> {
    let mut newest = first.event_id;
    let mut message = first;
    let mut waits = 0u32;
    loop {
        message = handle(run, lanes, message, handled).await?;
        if message.last {
            return Ok(Ending {
                message,
                last: true,
            });
        }
        waits += 1;
        let name = format!("wait-for-event:{waits}");
        match run
            .step
            .wait_for::<IncidentMessage>(&name, WORKFLOW_EVENT_TYPE, WAIT_TIMEOUT)
            .await
        {
            Ok(next) => {
                for (after, before) in gaps(&next, newest, handled) {
                    for missed in recover_missed(run, &next, after, before).await {
                        handle(run, lanes, missed, handled).await?;
                    }
                }
                newest = newest.max(next.event_id);
                message = next;
            }
            // Idle past the timeout: end quietly; the outbox sends later events to a new
            // generation.
            Err(StepError::TimedOut) => {
                return Ok(Ending {
                    message,
                    last: false,
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Which runs of which events this instance handled: `(event id, retry round)`, round 0 being
/// the event's first run.
type Handled = BTreeSet<(i64, i64)>;

/// Queues the event on the lanes (or, for a retry, on the lanes of the effects it names; for a
/// dismissal, it releases that effect's lane), once per instance and round; returns the
/// message as queued (triage may have changed the incident it carries).
async fn handle(
    run: &WorkflowRun,
    lanes: &Lanes<'_>,
    mut message: IncidentMessage,
    handled: &mut Handled,
) -> Result<IncidentMessage, WorkflowError> {
    let round = message.retry.as_ref().map_or(0, |r| r.round);
    // A redelivery of something this instance handled: its effects are queued already.
    if !handled.insert((message.event_id, round)) {
        return Ok(message);
    }
    if let Some(retry) = message.retry.clone() {
        // A retry exists only once the event ran somewhere: a plain redelivery of it (a tail
        // re-send) must not queue it again here.
        handled.insert((message.event_id, 0));
        retry_on_lanes(lanes, &message, &retry)?;
        return Ok(message);
    }
    if message.event_type == event_type::INCIDENT_CREATED {
        message = triage::triage(run, message).await;
    }
    if message.event_type == event_type::EFFECT_DISMISSED {
        match sluice::json::from_value::<EffectDismissed>(&message.data) {
            Ok(dismissed) => {
                lanes.dismiss(dismissed.event_id, &dismissed.effect);
            }
            Err(e) => sluice::log::error(&format!(
                "incident={} event={}: not a dismissal: {e}",
                message.incident_id, message.event_id
            )),
        }
    }
    lanes.push(lane_event(&message)?);
    Ok(message)
}

fn retry_on_lanes(
    lanes: &Lanes<'_>,
    message: &IncidentMessage,
    retry: &EffectRetry,
) -> Result<(), WorkflowError> {
    let unknown = lanes.retry(lane_event(message)?, retry.round, &retry.effects);
    if !unknown.is_empty() {
        sluice::log::error(&format!(
            "incident={} event={} retry round {}: no lane for {unknown:?} here",
            message.incident_id, message.event_id, retry.round
        ));
    }
    Ok(())
}

/// The message as lanes carry it.
fn lane_event(message: &IncidentMessage) -> Result<Event, WorkflowError> {
    Ok(Event {
        subject: format!("incident={}", message.incident_id),
        event_type: message.event_type.clone(),
        event_id: message.event_id,
        message: Rc::new(serde_json::to_value(message).map_err(|e| WorkflowError(e.to_string()))?),
    })
}

/// The object's side of the lanes: every read and write is a step, so replays see the same
/// answers; reports are named after the lane, its event, round and attempt.
struct IncidentLedger {
    incident_id: String,
    tenant_id: String,
    generation: i64,
}

#[async_trait::async_trait(?Send)]
impl LaneLedger for IncidentLedger {
    async fn start(
        &self,
        run: &WorkflowRun,
        effect: &str,
        ask: u32,
    ) -> Result<Option<LaneStart>, StepError> {
        let question = LaneQuestion {
            incident_id: self.incident_id.clone(),
            tenant_id: self.tenant_id.clone(),
            generation: self.generation,
            effect: effect.to_owned(),
            ask,
        };
        LANE_START.call(run, question).await
    }

    async fn backlog(
        &self,
        run: &WorkflowRun,
        effect: &str,
        after: i64,
        through: i64,
    ) -> Result<Vec<Event>, StepError> {
        let page = BacklogPage {
            incident_id: self.incident_id.clone(),
            tenant_id: self.tenant_id.clone(),
            effect: effect.to_owned(),
            after,
            through,
        };
        let messages = LANE_BACKLOG.call(run, page).await?;
        messages
            .iter()
            .map(lane_event)
            .collect::<Result<_, _>>()
            .map_err(|e| StepError::Codec(e.0))
    }

    async fn report(&self, run: &WorkflowRun, report: &LaneReport) {
        let kind = match &report.kind {
            ReportKind::Retrying {
                attempt,
                attempts,
                error,
                next_in,
            } => LaneUpdateKind::Retrying {
                attempt: *attempt,
                attempts: *attempts,
                error: error.clone(),
                next_in_ms: next_in.as_millis(),
            },
            ReportKind::Recovered => LaneUpdateKind::Recovered,
            ReportKind::Held { error } => LaneUpdateKind::Held {
                error: error.clone(),
            },
            ReportKind::Released(Released::Retried) => LaneUpdateKind::Retried,
            // The object cleared the entry when it recorded the dismissal.
            ReportKind::Released(Released::Dismissed) => return,
        };
        let note = LaneNote {
            incident_id: self.incident_id.clone(),
            tenant_id: self.tenant_id.clone(),
            key: report.key(),
            update: LaneUpdate {
                generation: self.generation,
                effect: report.effect.to_owned(),
                event_id: report.event_id,
                step: report.step.clone(),
                round: report.round,
                kind,
            },
        };
        if let Err(e) = LANE_REPORT.call(run, note).await {
            // The failure stays in the log (`effect attempt failed:` lines) even if the object
            // cannot be told; the lane goes on.
            sluice::log::error(&format!(
                "incident={} lane {} event {}: report not recorded: {e:?}",
                self.incident_id, report.effect, report.event_id
            ));
        }
    }
}

/// `lane.start`'s question: where `effect`'s lane starts in `generation`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LaneQuestion {
    pub incident_id: String,
    pub tenant_id: String,
    pub generation: i64,
    pub effect: String,
    /// Counts the asks (each is its own step).
    pub ask: u32,
}

#[step(
    name = "lane.start",
    idempotency_key = "{incident_id}:{generation}:{effect}:{ask}",
    retries(limit = 5, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds"
)]
async fn lane_start(
    ctx: StepContext,
    question: LaneQuestion,
) -> Result<Option<LaneStart>, EffectError> {
    let handle = ctx
        .services
        .incident(&question.incident_id, &question.tenant_id)?;
    match handle
        .lane_start(question.generation, &question.effect)
        .await
    {
        // Finalised meanwhile: nothing is held.
        Err(IncidentCallError::Domain(DomainError::NotFound)) => Ok(Some(LaneStart::Fresh)),
        other => Ok(other?),
    }
}

/// `lane.backlog`'s page: the published events after `after`, through `through`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BacklogPage {
    pub incident_id: String,
    pub tenant_id: String,
    pub effect: String,
    pub after: i64,
    pub through: i64,
}

#[step(
    name = "lane.backlog",
    idempotency_key = "{incident_id}:{effect}:{after}:{through}",
    retries(limit = 5, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds"
)]
async fn lane_backlog(
    ctx: StepContext,
    page: BacklogPage,
) -> Result<Vec<IncidentMessage>, EffectError> {
    let handle = ctx.services.incident(&page.incident_id, &page.tenant_id)?;
    Ok(handle
        .missed_events(page.after, page.through.saturating_add(1))
        .await?)
}

/// `lane.report`'s input: one lane report, named by [`LaneReport::key`].
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LaneNote {
    pub incident_id: String,
    pub tenant_id: String,
    pub key: String,
    pub update: LaneUpdate,
}

#[step(
    name = "lane.report",
    idempotency_key = "{incident_id}:{key}",
    retries(limit = 5, delay = "5 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn lane_report(ctx: StepContext, note: LaneNote) -> Result<(), EffectError> {
    let handle = ctx.services.incident(&note.incident_id, &note.tenant_id)?;
    match handle.lane_update(note.update).await {
        // Finalised meanwhile: nothing left to tell.
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
            sluice::log::info(&format!(
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
        sluice::log::info(&format!(
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
    /// How each lane ended: the next generation's lanes start there.
    #[serde(default)]
    pub lanes: Vec<LaneEnd>,
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
                    finished.lanes.clone(),
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
