//! The short way to fan out: a run that knows its events when it starts hands them to every
//! sender and dispatcher of its workflow class, each on its own lane, and waits until every
//! lane delivered them or is held. No operator, no hand-over to a later run.

use super::ledger::{Event, LaneEnd, LaneLedger, LaneReport, LaneStart, ReportKind};
use super::Lanes;
use crate::error::StepError;
use crate::event::{EventKind, EventMessage};
use crate::workflow::{WorkflowError, WorkflowRun};
use serde::Serialize;

/// The events of one stream, in order, numbered from 1 as they are pushed: what a workflow
/// hands to [`dispatch`].
///
/// # Examples
///
/// ```
/// use sluice::prelude::*;
///
/// #[derive(serde::Serialize)]
/// struct Packed { boxes: u32 }
/// impl EventKind for Packed { const EVENT_TYPE: &'static str = "PACKED"; }
///
/// let mut stream = EventStream::new("order-42");
/// stream.push(&Packed { boxes: 2 })?;
/// stream.push(&Packed { boxes: 1 })?;
/// let ids: Vec<i64> = stream.messages().iter().map(|m| m.event_id).collect();
/// assert_eq!(ids, [1, 2]);
/// assert_eq!(stream.messages()[1].stream_id, "order-42");
/// # Ok::<(), WorkflowError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EventStream {
    stream_id: String,
    messages: Vec<EventMessage>,
}

impl EventStream {
    /// An empty stream named `stream_id` (see [`EventMessage::stream_id`]).
    pub fn new(stream_id: impl Into<String>) -> Self {
        Self {
            stream_id: stream_id.into(),
            messages: Vec::new(),
        }
    }

    /// Appends `data` as the stream's next event; an error if it does not serialise.
    pub fn push<T: EventKind + Serialize>(&mut self, data: &T) -> Result<(), WorkflowError> {
        let event_id = self.messages.len() as i64 + 1;
        let message = EventMessage::new(self.stream_id.clone(), event_id, data)
            .map_err(|e| WorkflowError(format!("{} does not serialise: {e}", T::EVENT_TYPE)))?;
        self.messages.push(message);
        Ok(())
    }

    /// The stream's id, as every message carries it.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    /// The events pushed so far, oldest (event id 1) first.
    pub fn messages(&self) -> &[EventMessage] {
        &self.messages
    }
}

/// How each lane of a [`dispatch`] ended, by effect name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dispatched {
    /// One entry per effect that had a lane, in the order lanes were opened.
    pub lanes: Vec<LaneEnd>,
}

impl Dispatched {
    /// The lanes that ended held: their effect ran out of attempts (or was refused for good)
    /// on [`LaneEnd::held`], and the events in [`LaneEnd::pending`] were not delivered to it.
    pub fn held(&self) -> impl Iterator<Item = &LaneEnd> {
        self.lanes.iter().filter(|lane| lane.held.is_some())
    }

    /// Every effect got every event it handles.
    pub fn is_complete(&self) -> bool {
        self.held().next().is_none()
    }
}

/// Delivers `stream`'s events to every sender and dispatcher registered for `run`'s workflow
/// class (the `class` of its `#[workflow(.., fans_out = true)]`), each effect on its own lane:
/// concurrently with the other effects, in stream order within the lane, each delivery a
/// durable step `<effect>.<method>:<event id>` retried on the effect's policy. Returns once
/// every lane delivered what it handles or is held behind an event that failed for good.
///
/// Effects whose `requires_var` is unset in the run's services get no lane. Lane reports
/// (retrying, held) go to the log only; a run that must show them to an operator, retry a
/// held event or continue a stream in a later run uses [`Lanes`] with its own
/// [`LaneLedger`].
///
/// # Errors
///
/// A [`WorkflowError`] only when an event message does not serialise; an effect that fails
/// does not fail the dispatch, its lane ends held (see [`Dispatched::held`]).
///
/// # Examples
///
/// ```no_run
/// use sluice::prelude::*;
/// use serde_json::{json, Value};
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// pub struct Packed { pub order_id: String, pub boxes: u32 }
/// impl EventKind for Packed { const EVENT_TYPE: &'static str = "PACKED"; }
/// impl StreamEvent for Packed { const WORKFLOW: &'static str = "PackingWorkflow"; }
///
/// #[workflow(class = "PackingWorkflow", binding = "PACKING_WORKFLOW", name = "packing", fans_out = true)]
/// pub async fn packing(run: WorkflowRun, packed: Packed) -> Result<Value, WorkflowError> {
///     let mut stream = EventStream::new(packed.order_id.clone());
///     stream.push(&packed)?;
///     let dispatched = dispatch(&run, &stream).await?;
///     Ok(json!({ "complete": dispatched.is_complete() }))
/// }
/// ```
pub async fn dispatch(
    run: &WorkflowRun,
    stream: &EventStream,
) -> Result<Dispatched, WorkflowError> {
    let events = stream
        .messages()
        .iter()
        .map(Event::of)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WorkflowError(format!("event message: {e}")))?;
    let ledger = LogLedger;
    let lanes = Lanes::open(run, &ledger, stream.stream_id(), false);
    for event in events {
        lanes.push(event);
    }
    lanes.close();
    Ok(Dispatched {
        lanes: lanes.run().await,
    })
}

/// The ledger of a run that continues nothing: every lane starts fresh, and reports are logged.
struct LogLedger;

#[async_trait::async_trait(?Send)]
impl LaneLedger for LogLedger {
    async fn start(
        &self,
        _: &WorkflowRun,
        _: &str,
        _: u32,
    ) -> Result<Option<LaneStart>, StepError> {
        Ok(Some(LaneStart::Fresh))
    }

    async fn backlog(
        &self,
        _: &WorkflowRun,
        _: &str,
        _: i64,
        _: i64,
    ) -> Result<Vec<Event>, StepError> {
        Ok(Vec::new())
    }

    async fn report(&self, run: &WorkflowRun, report: &LaneReport) {
        let line = format!(
            "{} lane {} event {}: {}",
            run.instance_id,
            report.effect,
            report.event_id,
            describe(&report.kind)
        );
        match report.kind {
            ReportKind::Held { .. } => crate::log::error(&line),
            _ => crate::log::info(&line),
        }
    }
}

fn describe(kind: &ReportKind) -> String {
    match kind {
        ReportKind::Retrying {
            attempt,
            attempts,
            error,
            next_in,
        } => format!(
            "attempt {attempt} of {attempts} failed ({error}), next in {}",
            next_in.to_workflow_string()
        ),
        ReportKind::Recovered => "delivered after failed attempts".into(),
        ReportKind::Held { error } => format!("held: {error}"),
        ReportKind::Released(how) => format!("released ({how:?})"),
    }
}
