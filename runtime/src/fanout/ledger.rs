//! What lanes tell the application, and ask it: the [`LaneLedger`] is the durable record an
//! operator reads (a lane retrying, held, released) and the hand-over between two runs of one
//! stream (where an earlier run's lane stopped, and the events it still owed).

use super::Target;
use crate::duration::Duration;
use crate::error::StepError;
use crate::event::EventMessage;
use crate::workflow::WorkflowRun;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::rc::Rc;

/// One event as lanes carry it.
#[derive(Clone, Debug)]
pub struct Event {
    /// Who the event is about, for logs (`stream=<id>`, or the application's own label).
    pub subject: String,
    /// Its [`EventKind::EVENT_TYPE`](crate::EventKind::EVENT_TYPE): picks the handler.
    pub event_type: String,
    /// Its position in its stream (see [`EventMessage::event_id`]).
    pub event_id: i64,
    /// The whole message, as handlers decode it.
    pub message: Rc<Value>,
}

impl Event {
    /// `message` as lanes carry it, its subject `stream=<stream id>`.
    pub fn of(message: &EventMessage) -> Result<Self, serde_json::Error> {
        Ok(Self {
            subject: format!("stream={}", message.stream_id),
            event_type: message.event_type.clone(),
            event_id: message.event_id,
            message: Rc::new(serde_json::to_value(message)?),
        })
    }
}

/// Where an effect's lane starts in a run that continues an earlier one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "lane", rename_all = "snake_case")]
pub enum LaneStart {
    /// The earlier run delivered everything it had for this effect.
    Fresh,
    /// The earlier run's lane stopped held behind `event_id`, owing the events after it up to
    /// `through`: this lane starts held there, and delivers them once released.
    Held {
        /// The event the earlier lane is held behind.
        event_id: i64,
        /// The step of its last failed delivery.
        step: String,
        /// Why that delivery failed.
        error: String,
        /// The newest event the earlier lane was given.
        through: i64,
    },
}

/// How a held lane was let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Released {
    /// The held event was delivered by an operator's retry.
    Retried,
    /// An operator gave up on it: the lane goes on without it.
    Dismissed,
}

/// What happened, for [`LaneReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// Attempt `attempt` of `attempts` failed; the next one starts after `next_in`.
    Retrying {
        /// The 1-based number of the attempt that failed.
        attempt: u32,
        /// How many attempts the policy allows (`limit + 1`).
        attempts: u32,
        /// The attempt's error message.
        error: String,
        /// The wait before the next attempt (backoff with jitter, or the server's `Retry-After`).
        next_in: Duration,
    },
    /// A delivery that had failed attempts finally succeeded.
    Recovered,
    /// Out of attempts, or refused for good: the lane holds its later events.
    Held {
        /// The error of the last attempt.
        error: String,
    },
    /// The held event was let go; the lane goes on.
    Released(Released),
}

/// Something an operator must be able to see about one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneReport {
    /// The effect (sender or dispatcher) name the lane delivers to.
    pub effect: &'static str,
    /// The event the report is about.
    pub event_id: i64,
    /// The delivery's step (`<effect>.<method>:<event id>[#retry-<round>]`).
    pub step: String,
    /// 0 for the event's first delivery, else the operator's retry round.
    pub round: i64,
    /// What happened.
    pub kind: ReportKind,
}

impl LaneReport {
    pub(super) fn new(target: &Target, step: &str, round: i64, kind: ReportKind) -> Self {
        Self {
            effect: target.effect.name,
            event_id: target.event_id,
            step: step.to_owned(),
            round,
            kind,
        }
    }

    /// Unique within a run and the same on every replay: a ledger that records the report
    /// in a step names the step with it.
    pub fn key(&self) -> String {
        match &self.kind {
            ReportKind::Retrying { attempt, .. } => format!("{}#retrying-{attempt}", self.step),
            ReportKind::Recovered => format!("{}#recovered", self.step),
            ReportKind::Held { .. } => format!("{}#held", self.step),
            ReportKind::Released(_) => format!("{}#released", self.step),
        }
    }
}

/// The application's side of lanes. Each method that records or reads durable state must do
/// it in a step (named with [`LaneReport::key`], or after the effect and `ask`), so replays
/// see the same answers.
#[async_trait::async_trait(?Send)]
pub trait LaneLedger {
    /// Where `effect`'s lane starts in a run that continues an earlier one; `None` while the
    /// earlier run has not said (the lane sleeps and asks again, `ask` counting from 1).
    async fn start(
        &self,
        run: &WorkflowRun,
        effect: &str,
        ask: u32,
    ) -> Result<Option<LaneStart>, StepError>;

    /// The next events after `after`, through `through`, that an earlier run owed: a page of
    /// the hand-over's backlog, oldest first (empty when none is left; the lane asks for the
    /// next page after the newest it got). Events of types the effect does not handle may be
    /// included.
    async fn backlog(
        &self,
        run: &WorkflowRun,
        effect: &str,
        after: i64,
        through: i64,
    ) -> Result<Vec<Event>, StepError>;

    /// Records `report`. It must not fail the lane: a ledger that cannot record logs it.
    async fn report(&self, run: &WorkflowRun, report: &LaneReport);
}

/// How a lane ended, for the run that continues the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LaneEnd {
    /// The effect (sender or dispatcher) name.
    pub effect: String,
    /// The newest event this lane was given (delivered, dismissed or held).
    pub through: Option<i64>,
    /// The event it is held behind, if it ended held.
    pub held: Option<HeldEvent>,
    /// The events queued behind the held one, oldest first.
    #[serde(default)]
    pub pending: Vec<i64>,
}

/// The event a lane is held behind and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeldEvent {
    /// The event the lane is held behind.
    pub event_id: i64,
    /// The step of its last failed delivery.
    pub step: String,
    /// Why it failed.
    pub error: String,
}
