//! How incident events reach `IncidentWorkflow`, one generation of instances at a time.
//!
//! The first forwarded event creates the incident's instance (its id derived from the incident
//! id, so a duplicate create is harmless); later events are sent to it. A new generation
//! (`incident-<id>-g<n>`, created with the event) takes over when the current one
//! - may have stopped waiting: it waits at most [`WAIT_TIMEOUT_MS`] for its next event;
//! - has carried [`EVENTS_PER_INSTANCE`] events (step limits, replay cost); or
//! - was told it is done: the forwarder marks a message `last` when the incident is closed
//!   and nothing else waits in the queue, or when the message fills the generation, and the
//!   instance ends after handling it. A dead letter replayed after that goes to a fresh
//!   generation, so it is handled, not dropped.
//!
//! No event is ever sent to an instance that might no longer listen. A generation's last
//! event may be lost by the engine with nothing after it to reveal the loss: `tails` sends
//! it again, and has a generation that was moved past end itself. Order and
//! at-least-once rules are the outbox's (see `sluice::outbox`); the workflow
//! deduplicates by event id within an instance.

mod tails;

pub(crate) use tails::SCHEMA as TAILS_SCHEMA;
pub use tails::{all_reported, reported, resend, NUDGE_AFTER_MS, NUDGE_SCHEDULE_MS};

use crate::model::{IncidentMessage, IncidentState};
use crate::WORKFLOW_EVENT_TYPE;
use sluice::outbox::{ForwardError, Forwarder, OutboxRow, QueuePosition};
use sluice::sql::{SqlError, SqlStore};
use sluice::workflow::{Created, WorkflowClient};

/// How long an `IncidentWorkflow` instance waits for its next event (7 days).
pub const WAIT_TIMEOUT_MS: i64 = 7 * 86_400_000;
/// After this much silence the current instance may be about to stop waiting: roll over.
pub const ROLL_AFTER_IDLE_MS: i64 = WAIT_TIMEOUT_MS - 3_600_000;
/// Events one instance carries before the next generation takes over: each event costs a wait
/// and a step per handler, and the engine limits steps per instance (1,024 on the free plan)
/// and replays an instance's history when it resumes.
pub const EVENTS_PER_INSTANCE: i64 = 100;

pub(crate) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS workflow_generation (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    generation      INTEGER NOT NULL,
    events          INTEGER NOT NULL,
    last_forward_at INTEGER NOT NULL,
    closed          INTEGER NOT NULL DEFAULT 0
)";

/// The `IncidentWorkflow` instance id of an incident's generation.
pub fn instance_id(incident_id: &str, generation: i64) -> String {
    if generation <= 1 {
        format!("incident-{incident_id}")
    } else {
        format!("incident-{incident_id}-g{generation}")
    }
}

/// The generation an instance id of this incident names (the inverse of [`instance_id`]).
pub fn generation_of(incident_id: &str, instance: &str) -> Option<i64> {
    let rest = instance
        .strip_prefix("incident-")?
        .strip_prefix(incident_id)?;
    match rest.strip_prefix("-g") {
        None if rest.is_empty() => Some(1),
        None => None,
        Some(n) => n.parse().ok().filter(|n| *n > 1),
    }
}

/// The generation events currently go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Generation {
    pub generation: i64,
    pub events: i64,
    pub last_forward_at: i64,
    /// Its last message said `last`: the instance has ended or is ending.
    #[serde(deserialize_with = "int_bool")]
    pub closed: bool,
}

fn int_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value: i64 = serde::Deserialize::deserialize(d)?;
    Ok(value != 0)
}

/// The current generation; `None` before the first forward.
pub fn current_generation<S: SqlStore>(store: &S) -> Result<Option<Generation>, SqlError> {
    match store.query_as::<Generation>(
        "SELECT generation, events, last_forward_at, closed FROM workflow_generation WHERE singleton = 1",
        &[],
    ) {
        Ok(rows) => Ok(rows.into_iter().next()),
        Err(e) if e.is_missing_table() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The instance the incident's events currently go to, for the API.
pub fn current_instance<S: SqlStore>(store: &S, incident_id: &str) -> Result<String, SqlError> {
    let generation = current_generation(store)?.map_or(1, |g| g.generation);
    Ok(instance_id(incident_id, generation))
}

/// Builds the forwarded message from the row's own snapshot (state as of the event).
pub fn message_for(row: &OutboxRow, last: bool) -> Result<IncidentMessage, String> {
    let snapshot = row
        .snapshot
        .clone()
        .ok_or_else(|| format!("event {} has no snapshot", row.event_id))?;
    let incident: IncidentState = sluice::json::from_value(&snapshot)
        .map_err(|e| format!("event {} snapshot: {e}", row.event_id))?;
    let (data, actor) = crate::view::split_actor(row.data.clone());
    Ok(IncidentMessage {
        incident_id: incident.id.clone(),
        event_id: row.event_id,
        event_type: row.event_type.clone(),
        data,
        at: row.created_at,
        incident,
        actor,
        last,
        retry: None,
        replayed: Vec::new(),
    })
}

/// Where one event goes.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// Create this generation with the event as its input. `abandoning`: the generation
    /// before it was silent so long that its instance may have stopped listening.
    Create { generation: i64, abandoning: bool },
    /// Send the event to the open generation.
    Send(i64),
}

pub struct IncidentForwarder<'a, S: SqlStore> {
    workflows: &'a dyn WorkflowClient,
    store: &'a S,
    incident_id: String,
    /// The incident is closed now (not as of the event): nothing new will be appended.
    closed_now: bool,
    now_ms: i64,
}

impl<'a, S: SqlStore> IncidentForwarder<'a, S> {
    pub fn new(
        workflows: &'a dyn WorkflowClient,
        store: &'a S,
        incident: &IncidentState,
        now_ms: i64,
    ) -> Self {
        Self {
            workflows,
            store,
            incident_id: incident.id.clone(),
            closed_now: incident.status.is_terminal(),
            now_ms,
        }
    }

    fn route(&self, current: Option<Generation>) -> Route {
        match current {
            None => Route::Create {
                generation: 1,
                abandoning: false,
            },
            Some(g) => {
                let idle = self.now_ms - g.last_forward_at >= ROLL_AFTER_IDLE_MS;
                let full = g.events >= EVENTS_PER_INSTANCE;
                if g.closed || idle || full {
                    Route::Create {
                        generation: g.generation + 1,
                        abandoning: idle,
                    }
                } else {
                    Route::Send(g.generation)
                }
            }
        }
    }

    fn record(&self, generation: i64, events: i64, closed: bool) -> Result<(), SqlError> {
        self.store.execute(
            "INSERT INTO workflow_generation (singleton, generation, events, last_forward_at, closed) \
             VALUES (1, ?, ?, ?, ?) ON CONFLICT(singleton) DO UPDATE SET generation = excluded.generation, \
             events = excluded.events, last_forward_at = excluded.last_forward_at, closed = excluded.closed",
            &[
                generation.into(),
                events.into(),
                self.now_ms.into(),
                i64::from(closed).into(),
            ],
        )
    }
}

#[async_trait::async_trait(?Send)]
impl<S: SqlStore> Forwarder for IncidentForwarder<'_, S> {
    async fn forward(&self, row: &OutboxRow, position: QueuePosition) -> Result<(), ForwardError> {
        let fail = |e: String| ForwardError(e);
        let current = current_generation(self.store).map_err(|e| fail(e.message))?;
        let route = self.route(current);
        // The event that fills a generation is its last too: the instance ends once its lanes
        // are done, and reports how they ended, so the next generation's lanes start without
        // waiting for a tail re-send to tell the full one to stop.
        let fills = matches!(route, Route::Send(_))
            && current.is_some_and(|g| g.events + 1 >= EVENTS_PER_INSTANCE);
        let last = (self.closed_now && !position.more_pending) || fills;
        let mut message = message_for(row, last).map_err(fail)?;
        if row.published_at.is_some() {
            // Forwarded before, so back in the queue: maybe to retry effects that failed.
            message.retry = crate::object::failed_effects::pending_retry(self.store, row.event_id)
                .map_err(|e| fail(e.message))?;
        }
        let payload = serde_json::to_value(&message).map_err(|e| fail(e.to_string()))?;
        if last {
            // Once a `last` message may have reached its instance, the instance may end, and
            // a lost answer would not tell: record the generation closed before sending, so
            // whatever the outcome no later event (a replayed dead letter, say) goes to it.
            // If the send is refused, the next attempt opens a new generation; the one that
            // never got `last` ends quietly at its wait timeout.
            let (generation, events) = match route {
                Route::Create { generation, .. } => (generation, 1),
                Route::Send(generation) => (generation, current.map_or(0, |g| g.events) + 1),
            };
            self.record(generation, events, true)
                .map_err(|e| fail(e.message))?;
        }
        let (generation, events) = match route {
            Route::Create {
                generation,
                abandoning,
            } => {
                let id = instance_id(&self.incident_id, generation);
                let created = self
                    .workflows
                    .create(&id, &payload)
                    .await
                    .map_err(|e| fail(e.message))?;
                // It already exists: an earlier attempt created it, with this event or with
                // another one whose answer was lost and which was dead-lettered since. Send
                // the event too (the instance drops a duplicate), or it could be lost.
                let events = match created {
                    Created::New => 1,
                    Created::AlreadyExisted => {
                        self.workflows
                            .send_event(&id, WORKFLOW_EVENT_TYPE, &payload)
                            .await
                            .map_err(|e| fail(e.message))?;
                        2
                    }
                };
                if abandoning {
                    tails::abandoned(self.store, generation - 1).map_err(|e| fail(e.message))?;
                }
                (generation, events)
            }
            Route::Send(generation) => {
                let id = instance_id(&self.incident_id, generation);
                self.workflows
                    .send_event(&id, WORKFLOW_EVENT_TYPE, &payload)
                    .await
                    .map_err(|e| fail(e.message))?;
                (generation, current.map_or(0, |g| g.events) + 1)
            }
        };
        self.record(generation, events, last)
            .and_then(|()| tails::forwarded(self.store, generation, row.event_id, self.now_ms))
            .map_err(|e| fail(e.message))
    }
}
