//! How incident events reach `IncidentWorkflow`, one generation of instances at a time.
//!
//! The first forwarded event creates the incident's instance (its id derived from the incident
//! id, so a duplicate create is harmless); later events are sent to it. A new generation
//! (`incident-<id>-g<n>`, created with the event) takes over when the current one
//! - may have stopped waiting: it waits at most [`WAIT_TIMEOUT_MS`] for its next event;
//! - has carried [`EVENTS_PER_INSTANCE`] events (step limits, replay cost); or
//! - was told it is done: the forwarder marks a message `last` when the incident is closed
//!   and nothing else waits in the queue, and the instance ends after handling it. A dead
//!   letter replayed after that goes to a fresh generation, so it is handled, not dropped.
//!
//! No event is ever sent to an instance that might no longer listen. Order and
//! at-least-once rules are the outbox's (see `incidentd_runtime::outbox`); the workflow
//! deduplicates by event id within an instance.

use crate::model::{IncidentMessage, IncidentState};
use crate::WORKFLOW_EVENT_TYPE;
use incidentd_runtime::outbox::{ForwardError, Forwarder, OutboxRow, QueuePosition};
use incidentd_runtime::sql::{SqlError, SqlStore};
use incidentd_runtime::workflow::{Created, WorkflowClient};

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

/// The event of the latest message forwarded `last`: the instance that got it reports it
/// handled (`workflow_finished`), and only that report lets a closed incident finalise. A
/// dead letter replayed after the close is such a message, to a new generation: the report
/// of the generation before it no longer counts.
pub(crate) const AWAITED_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS workflow_awaited (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  INTEGER NOT NULL
)";

/// The newest event the tail check re-sent ([`nudge_tail`]), and how many times.
pub(crate) const NUDGED_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS workflow_nudged (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  INTEGER NOT NULL,
    sent      INTEGER NOT NULL
)";

/// How long after the last forward of an open incident its newest event is sent once more.
/// An instance recovers an event the engine lost when the next one arrives (it asks the
/// object for the gap); this covers the newest event, which nothing follows. A duplicate is
/// dropped by the instance.
pub const NUDGE_AFTER_MS: i64 = 30_000;
/// When, after the last forward, the newest event is sent again: after [`NUDGE_AFTER_MS`],
/// then twice more in case a re-send was lost too. Nothing reports which events an instance
/// handled, so the count is bounded rather than confirmed.
pub const NUDGE_SCHEDULE_MS: [i64; 3] = [NUDGE_AFTER_MS, 10 * NUDGE_AFTER_MS, 60 * NUDGE_AFTER_MS];

/// The event whose report a closed incident waits for; `None` before any `last` message
/// (or in storage written before this was recorded).
pub fn awaited_report<S: SqlStore>(store: &S) -> Result<Option<i64>, SqlError> {
    match store.query(
        "SELECT event_id FROM workflow_awaited WHERE singleton = 1",
        &[],
    ) {
        Ok(rows) => Ok(rows
            .first()
            .and_then(|r| r.get("event_id"))
            .and_then(|v| v.as_i64())),
        Err(e) if e.is_missing_table() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `IncidentWorkflow` instance id of an incident's generation.
pub fn instance_id(incident_id: &str, generation: i64) -> String {
    if generation <= 1 {
        format!("incident-{incident_id}")
    } else {
        format!("incident-{incident_id}-g{generation}")
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
    let incident: IncidentState = serde_json::from_value(snapshot)
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
    })
}

/// Where one event goes.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// Create this generation with the event as its input.
    Create(i64),
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
            None => Route::Create(1),
            Some(g) => {
                let idle = self.now_ms - g.last_forward_at >= ROLL_AFTER_IDLE_MS;
                let full = g.events >= EVENTS_PER_INSTANCE;
                if g.closed || idle || full {
                    Route::Create(g.generation + 1)
                } else {
                    Route::Send(g.generation)
                }
            }
        }
    }

    /// A message marked `last` is about to go to its instance: await that instance's report,
    /// and drop every report received so far. They came from earlier forwards (an earlier
    /// generation may have reported this very event, if its forward's answer was lost and the
    /// event was sent again), and this instance can only report after the send.
    fn await_report(&self, event_id: i64) -> Result<(), SqlError> {
        self.store.execute(
            "INSERT INTO workflow_awaited (singleton, event_id) VALUES (1, ?) \
             ON CONFLICT(singleton) DO UPDATE SET event_id = excluded.event_id",
            &[event_id.into()],
        )?;
        self.store.execute("DELETE FROM workflow_finished", &[])
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
        let last = self.closed_now && !position.more_pending;
        let message = message_for(row, last).map_err(fail)?;
        let payload = serde_json::to_value(&message).map_err(|e| fail(e.to_string()))?;
        let current = current_generation(self.store).map_err(|e| fail(e.message))?;
        let route = self.route(current);
        if last {
            // Once a `last` message may have reached its instance, the instance may end, and
            // a lost answer would not tell: record the generation closed before sending, so
            // whatever the outcome no later event (a replayed dead letter, say) goes to it.
            // If the send is refused, the next attempt opens a new generation; the one that
            // never got `last` ends quietly at its wait timeout.
            let (generation, events) = match route {
                Route::Create(generation) => (generation, 1),
                Route::Send(generation) => (generation, current.map_or(0, |g| g.events) + 1),
            };
            self.record(generation, events, true)
                .and_then(|()| self.await_report(row.event_id))
                .map_err(|e| fail(e.message))?;
        }
        let recorded = match route {
            Route::Create(generation) => {
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
                self.record(generation, events, last)
            }
            Route::Send(generation) => {
                let id = instance_id(&self.incident_id, generation);
                self.workflows
                    .send_event(&id, WORKFLOW_EVENT_TYPE, &payload)
                    .await
                    .map_err(|e| fail(e.message))?;
                let events = current.map_or(0, |g| g.events) + 1;
                self.record(generation, events, last)
            }
        };
        recorded
            .and_then(|()| match last {
                true => self.await_report(row.event_id),
                false => Ok(()),
            })
            .map_err(|e| fail(e.message))
    }
}

/// Once an open incident's queue is drained, sends its newest published event to the current
/// generation again at each point of [`NUDGE_SCHEDULE_MS`] after the last forward. Returns
/// when the alarm must run for the next one.
pub async fn nudge_tail<S: SqlStore>(
    workflows: &dyn WorkflowClient,
    store: &S,
    outbox: &incidentd_runtime::outbox::Outbox<'_, S>,
    incident_id: &str,
    now_ms: i64,
) -> Result<Option<i64>, SqlError> {
    let Some(generation) = current_generation(store)?.filter(|g| !g.closed) else {
        return Ok(None);
    };
    let Some(newest) = outbox.latest_published()? else {
        return Ok(None);
    };
    let rows = store.query(
        "SELECT event_id, sent FROM workflow_nudged WHERE singleton = 1",
        &[],
    )?;
    let field = |name: &str| {
        rows.first()
            .and_then(|r| r.get(name))
            .and_then(|v| v.as_i64())
    };
    let sent = match field("event_id") {
        Some(event) if event > newest.event_id => return Ok(None),
        Some(event) if event == newest.event_id => field("sent").unwrap_or(0),
        _ => 0,
    };
    let schedule = |n: i64| {
        NUDGE_SCHEDULE_MS
            .get(n as usize)
            .map(|after| generation.last_forward_at + after)
    };
    let Some(due) = schedule(sent) else {
        return Ok(None);
    };
    if now_ms < due {
        return Ok(Some(due));
    }
    let payload = message_for(&newest, false)
        .and_then(|message| serde_json::to_value(&message).map_err(|e| e.to_string()));
    let resent = match payload {
        Ok(payload) => workflows
            .send_event(
                &instance_id(incident_id, generation.generation),
                WORKFLOW_EVENT_TYPE,
                &payload,
            )
            .await
            .map_err(|e| e.message),
        Err(e) => Err(e),
    };
    if let Err(e) = resent {
        // Refused, so not sent: it does not count, and the alarm tries again.
        incidentd_runtime::log::info(&format!(
            "incident={incident_id} re-sending event {} failed: {e}",
            newest.event_id
        ));
        return Ok(Some(now_ms + NUDGE_AFTER_MS));
    }
    store.execute(
        "INSERT INTO workflow_nudged (singleton, event_id, sent) VALUES (1, ?, ?) \
         ON CONFLICT(singleton) DO UPDATE SET event_id = excluded.event_id, sent = excluded.sent",
        &[newest.event_id.into(), (sent + 1).into()],
    )?;
    Ok(schedule(sent + 1))
}
