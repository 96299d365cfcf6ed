//! Fan-out on lanes: every registered sender and dispatcher (an *effect*) of a fanning-out
//! workflow has its own lane, which delivers the stream's events to that effect in the order
//! the run received them, each as its own durable step (`<effect>.<method>:<event id>`, so the
//! engine memoises it across replays and redeliveries). Lanes run concurrently with each other
//! and with the run's receiving loop, so a slow, failing or retrying effect delays only its own
//! lane: one failing handler never holds up another effect, nor the other effects of later
//! events. Within a lane the order is strict: an effect never sees an event before the ones
//! the run received earlier.
//!
//! - **Retries** are the framework's (`attempts`): capped exponential backoff with jitter,
//!   `Retry-After` honoured, each wait a durable sleep.
//! - **Held lanes.** An effect that runs out of attempts (or is refused for good) holds its
//!   lane: later events queue behind it, neither skipped nor reordered, and the ledger records
//!   why. An operator's retry of the held event ([`Lanes::retry`]) runs it again as
//!   `<step>#retry-<round>`; success releases the lane, which drains what it held in order.
//!   A dismissal ([`Lanes::dismiss`]) releases it without the event.
//! - **Hand-over.** A run that continues an earlier one (a stream split over several workflow
//!   instances) asks the ledger where each lane stopped before delivering anything, so order
//!   holds across runs too: a lane held at the end of one run starts held in the next.
//!
//! Two entry points:
//! - [`dispatch`]: a workflow that knows its events when it starts (one run, no operator)
//!   hands them over as an [`EventStream`] and gets back how each lane ended. Start here.
//! - [`Lanes`]: a long-lived run that receives events as they come (`wait_for` in a loop),
//!   lets an operator retry or dismiss a held event, and hands its lanes over to the next run
//!   of the same stream through its own [`LaneLedger`].
//!
//! Either way each handler receives a [`SenderCall`] built from the event's message, which
//! its typed parameter (such as [`Envelope<T>`](crate::event::Envelope)) decodes.
//!
//! Replays are deterministic whatever the interleaving: each lane's choices depend only on the
//! order of what the receiving loop pushed (itself a function of memoised waits), and every
//! step name a lane uses is unique to its effect, event, round and attempt.

mod attempts;
mod dispatch;
mod ledger;
mod mailbox;

pub use attempts::{backoff, Failure, ATTEMPT_FAILED};
pub use dispatch::{dispatch, Dispatched, EventStream};
pub use ledger::{
    Event, HeldEvent, LaneEnd, LaneLedger, LaneReport, LaneStart, Released, ReportKind,
};

use crate::duration::Duration;
use crate::registry::{self, EffectDef, HandlerDef, SenderCall};
use crate::workflow::WorkflowRun;
use futures_util::future::join_all;
use mailbox::Mailbox;
use std::rc::Rc;

/// How long a continuing run's lane first waits before asking again where the earlier run's
/// lane stopped; the wait doubles up to [`HANDOVER_MAX_WAIT`].
pub const HANDOVER_FIRST_WAIT: Duration = Duration::from_millis(250);
/// The longest wait between two asks (see [`HANDOVER_FIRST_WAIT`]).
pub const HANDOVER_MAX_WAIT: Duration = Duration::from_secs(15);

/// One effect's handler of one event: what a delivery runs.
pub(crate) struct Target {
    pub effect: &'static EffectDef,
    pub handler: &'static HandlerDef,
    pub event_id: i64,
}

enum Item {
    Event(Rc<Event>),
    /// An operator asked to run the event again on this lane.
    Retry {
        event: Rc<Event>,
        round: i64,
    },
    /// An operator gave up on the event on this lane.
    Dismiss {
        event_id: i64,
    },
}

impl Item {
    /// Whether this item lets go of a lane held behind `event_id`.
    fn releases(&self, event_id: i64) -> bool {
        match self {
            Item::Retry { event, .. } => event.event_id == event_id,
            Item::Dismiss { event_id: id } => *id == event_id,
            Item::Event(_) => false,
        }
    }
}

struct Lane {
    effect: &'static EffectDef,
    mailbox: Mailbox<Item>,
}

impl Lane {
    fn handler(&self, event_type: &str) -> Option<&'static HandlerDef> {
        self.effect.handlers.iter().find(|h| h.event == event_type)
    }
}

/// The lanes of one workflow run.
pub struct Lanes<'r> {
    run: &'r WorkflowRun,
    ledger: &'r dyn LaneLedger,
    /// The stream the run carries (scopes default idempotency keys).
    stream_id: String,
    lanes: Vec<Lane>,
    /// The run continues an earlier one: lanes ask where it stopped before delivering.
    continues: bool,
}

/// Where a lane stands while it runs.
#[derive(Default)]
struct Progress {
    through: Option<i64>,
}

impl Progress {
    fn saw(&mut self, event_id: i64) {
        self.through = Some(self.through.map_or(event_id, |t| t.max(event_id)));
    }
}

/// What [`Lanes::hold`] ended with.
enum Hold {
    /// The lane goes on.
    Released,
    /// The run ended while the lane was held.
    StillHeld(HeldEvent),
}

impl<'r> Lanes<'r> {
    /// A lane for every effect of `run`'s workflow class enabled with its services, sorted by
    /// effect name. `stream_id` names the stream of events the run carries (an order, an
    /// account: [`EventMessage::stream_id`](crate::event::EventMessage::stream_id));
    /// `continues`: the run takes over from an earlier run of that stream.
    pub fn open(
        run: &'r WorkflowRun,
        ledger: &'r dyn LaneLedger,
        stream_id: impl Into<String>,
        continues: bool,
    ) -> Self {
        let lanes = registry::effects(run.class_name)
            .into_iter()
            .filter(|effect| effect.is_enabled(run.services.as_ref()))
            .map(|effect| Lane {
                effect,
                mailbox: Mailbox::default(),
            })
            .collect();
        Self {
            run,
            ledger,
            stream_id: stream_id.into(),
            lanes,
            continues,
        }
    }

    /// The effects that have a lane.
    pub fn effects(&self) -> Vec<&'static str> {
        self.lanes.iter().map(|lane| lane.effect.name).collect()
    }

    /// Queues `event` on the lane of every effect that handles its type.
    pub fn push(&self, event: Event) {
        let event = Rc::new(event);
        for lane in &self.lanes {
            if lane.handler(&event.event_type).is_some() {
                lane.mailbox.push(Item::Event(event.clone()));
            }
        }
    }

    /// An operator's retry of `event` on the lanes of `effects`: a lane held behind it runs it
    /// again (round `round`) and, if it succeeds, goes on; a lane not held behind it runs it
    /// once more in its turn. Names of effects without a lane here are returned.
    pub fn retry(&self, event: Event, round: i64, effects: &[String]) -> Vec<String> {
        let event = Rc::new(event);
        let mut unknown = Vec::new();
        for name in effects {
            match self.lanes.iter().find(|lane| lane.effect.name == name) {
                Some(lane) => lane.mailbox.push(Item::Retry {
                    event: event.clone(),
                    round,
                }),
                None => unknown.push(name.clone()),
            }
        }
        unknown
    }

    /// An operator gave up on `event_id` for `effect`: its lane, if held behind it, goes on
    /// without it. Returns whether such a lane exists here.
    pub fn dismiss(&self, event_id: i64, effect: &str) -> bool {
        let lane = self.lanes.iter().find(|lane| lane.effect.name == effect);
        if let Some(lane) = lane {
            lane.mailbox.push(Item::Dismiss { event_id });
        }
        lane.is_some()
    }

    /// Nothing more will be queued: each lane ends once it delivered what it has, or is held.
    pub fn close(&self) {
        for lane in &self.lanes {
            lane.mailbox.close();
        }
    }

    /// Runs every lane until [`close`](Self::close) and each lane is drained or held.
    pub async fn run(&self) -> Vec<LaneEnd> {
        join_all(self.lanes.iter().map(|lane| self.run_lane(lane))).await
    }

    async fn run_lane(&self, lane: &Lane) -> LaneEnd {
        let mut progress = Progress::default();
        if self.continues {
            if let LaneStart::Held {
                event_id,
                step,
                error,
                through,
            } = self.start(lane).await
            {
                progress.saw(through);
                let held = HeldEvent {
                    event_id,
                    step,
                    error,
                };
                if let Hold::StillHeld(held) = self.hold(lane, held).await {
                    return self.ended_held(lane, progress, held);
                }
                if let Some(held) = self.deliver_backlog(lane, event_id, through).await {
                    return self.ended_held(lane, progress, held);
                }
            }
        }
        while let Some(item) = lane.mailbox.next().await {
            match item {
                Item::Event(event) => {
                    progress.saw(event.event_id);
                    if let Some(held) = self.deliver_in_turn(lane, event).await {
                        return self.ended_held(lane, progress, held);
                    }
                }
                // Not held behind it (that case is taken in `hold`): the event was delivered,
                // dismissed or failed in an earlier run; run it once more, in its turn.
                Item::Retry { event, round } => {
                    if let Some(handler) = lane.handler(&event.event_type) {
                        self.run_retry(lane, handler, &event, round).await.ok();
                    }
                }
                Item::Dismiss { .. } => {}
            }
        }
        LaneEnd {
            effect: lane.effect.name.to_owned(),
            through: progress.through,
            held: None,
            pending: Vec::new(),
        }
    }

    fn ended_held(&self, lane: &Lane, mut progress: Progress, held: HeldEvent) -> LaneEnd {
        let pending: Vec<i64> = lane
            .mailbox
            .drain()
            .into_iter()
            .filter_map(|item| match item {
                Item::Event(event) => Some(event.event_id),
                _ => None,
            })
            .collect();
        for id in &pending {
            progress.saw(*id);
        }
        LaneEnd {
            effect: lane.effect.name.to_owned(),
            through: progress.through,
            held: Some(held),
            pending,
        }
    }

    /// Asks the ledger where the earlier run left this lane, sleeping between asks.
    async fn start(&self, lane: &Lane) -> LaneStart {
        let mut wait = HANDOVER_FIRST_WAIT;
        let mut ask = 1;
        loop {
            match self.ledger.start(self.run, lane.effect.name, ask).await {
                Ok(Some(start)) => return start,
                Ok(None) => {}
                Err(e) => crate::log::error(&format!(
                    "lane {}: where the earlier run stopped is unknown: {e}",
                    lane.effect.name
                )),
            }
            let name = format!("lane.{}.handover-wait-{ask}", lane.effect.name);
            if self.run.step.sleep(&name, wait).await.is_err() {
                return LaneStart::Fresh;
            }
            wait = Duration::from_millis((wait.as_millis() * 2).min(HANDOVER_MAX_WAIT.as_millis()));
            ask += 1;
        }
    }

    /// Delivers the events an earlier run owed after `after`, through `through`, page by page;
    /// the event it is held behind if one fails.
    async fn deliver_backlog(&self, lane: &Lane, after: i64, through: i64) -> Option<HeldEvent> {
        let mut after = after;
        while after < through {
            let page = match self
                .ledger
                .backlog(self.run, lane.effect.name, after, through)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    crate::log::error(&format!(
                        "lane {}: events {after}..={through} of the earlier run could not be read: {e}",
                        lane.effect.name
                    ));
                    return None;
                }
            };
            let newest = page.iter().map(|e| e.event_id).max()?;
            for event in page {
                if lane.handler(&event.event_type).is_some() {
                    if let Some(held) = self.deliver_in_turn(lane, Rc::new(event)).await {
                        return Some(held);
                    }
                }
            }
            after = newest;
        }
        None
    }

    /// Delivers `event`; if it fails for good, holds the lane until it is let go. The event the
    /// lane is still held behind when the run ends, if any.
    async fn deliver_in_turn(&self, lane: &Lane, event: Rc<Event>) -> Option<HeldEvent> {
        let handler = lane.handler(&event.event_type)?;
        let base = format!("{}:{}", handler.step_name(lane.effect), event.event_id);
        let target = self.target(lane, handler, &event);
        let failure = attempts::deliver(
            self.run,
            self.ledger,
            &target,
            &event,
            &base,
            0,
            &self.stream_id,
        )
        .await
        .err()?;
        let held = HeldEvent {
            event_id: event.event_id,
            step: failure.step,
            error: failure.error,
        };
        self.report(
            &target,
            &base,
            0,
            ReportKind::Held {
                error: held.error.clone(),
            },
        )
        .await;
        match self.hold(lane, held).await {
            Hold::Released => None,
            Hold::StillHeld(held) => Some(held),
        }
    }

    /// Waits for the release of the event the lane is held behind: a retry that succeeds (the
    /// retry brings the event, so a lane that started held need not have it), or a dismissal.
    async fn hold(&self, lane: &Lane, mut held: HeldEvent) -> Hold {
        loop {
            let release = lane
                .mailbox
                .take_first(|item| item.releases(held.event_id))
                .await;
            match release {
                None => return Hold::StillHeld(held),
                Some(Item::Dismiss { .. }) => {
                    crate::log::info(&format!(
                        "lane {}: event {} dismissed, the lane goes on",
                        lane.effect.name, held.event_id
                    ));
                    return Hold::Released;
                }
                Some(Item::Retry { event, round }) => {
                    let Some(handler) = lane.handler(&event.event_type) else {
                        return Hold::Released;
                    };
                    match self.run_retry(lane, handler, &event, round).await {
                        Ok(()) => return Hold::Released,
                        Err(failure) => {
                            held.step = failure.step;
                            held.error = failure.error;
                        }
                    }
                }
                Some(Item::Event(_)) => unreachable!("events never release a lane"),
            }
        }
    }

    /// Runs an operator's retry (round `round`) of `event` and reports its outcome.
    async fn run_retry(
        &self,
        lane: &Lane,
        handler: &'static HandlerDef,
        event: &Event,
        round: i64,
    ) -> Result<(), Failure> {
        let base = format!(
            "{}:{}#retry-{round}",
            handler.step_name(lane.effect),
            event.event_id
        );
        let target = self.target(lane, handler, event);
        let outcome = attempts::deliver(
            self.run,
            self.ledger,
            &target,
            event,
            &base,
            round,
            &self.stream_id,
        )
        .await;
        let kind = match &outcome {
            Ok(()) => ReportKind::Released(Released::Retried),
            Err(failure) => ReportKind::Held {
                error: failure.error.clone(),
            },
        };
        self.report(&target, &base, round, kind).await;
        outcome
    }

    fn target(&self, lane: &Lane, handler: &'static HandlerDef, event: &Event) -> Target {
        Target {
            effect: lane.effect,
            handler,
            event_id: event.event_id,
        }
    }

    async fn report(&self, target: &Target, step: &str, round: i64, kind: ReportKind) {
        let report = LaneReport::new(target, step, round, kind);
        self.ledger.report(self.run, &report).await;
    }
}

/// The handler call for `event`, as a sender or dispatcher receives it: what its typed event
/// parameter is decoded from ([`FromSenderCall`](crate::registry::FromSenderCall)).
fn sender_call(run: &WorkflowRun, stream_id: &str, event: &Event) -> SenderCall {
    SenderCall {
        event_id: event.event_id,
        stream_id: stream_id.to_owned(),
        instance_id: run.instance_id.clone(),
        message: event.message.clone(),
        services: run.services.clone(),
    }
}
