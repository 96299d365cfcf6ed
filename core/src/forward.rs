//! How incident events reach `IncidentWorkflow`. The first event creates the incident's
//! instance (its id derived from the incident id, so a duplicate create is harmless); later
//! events are sent to it. An instance waits at most [`WAIT_TIMEOUT_MS`] for its next event and
//! then ends quietly, and a long incident would pile up steps in one instance, so the forwarder
//! starts a new generation (`incident-<id>-g<n>`, created with the event) when the current one
//! may have stopped waiting or has carried [`EVENTS_PER_INSTANCE`] events. No event is sent to
//! an instance that might no longer listen.

use crate::model::{event_type, IncidentMessage, IncidentState};
use crate::WORKFLOW_EVENT_TYPE;
use incidentd_runtime::outbox::{ForwardError, Forwarder, OutboxRow};
use incidentd_runtime::sql::{SqlError, SqlStore};
use incidentd_runtime::workflow::WorkflowClient;

/// How long an `IncidentWorkflow` instance waits for its next event (7 days).
pub const WAIT_TIMEOUT_MS: i64 = 7 * 86_400_000;
/// After this much silence the current instance may be about to stop waiting: roll over.
pub const ROLL_AFTER_IDLE_MS: i64 = WAIT_TIMEOUT_MS - 3_600_000;
/// Events one instance carries before the next generation takes over: each event costs a wait
/// and a step per handler, and the engine limits steps per instance (1,024 on the free plan)
/// and replays an instance's history when it resumes.
pub const EVENTS_PER_INSTANCE: i64 = 100;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS workflow_instance (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    generation      INTEGER NOT NULL,
    events          INTEGER NOT NULL,
    last_forward_at INTEGER NOT NULL
)";

pub(crate) fn migrate<S: SqlStore>(store: &S) -> Result<(), SqlError> {
    store.execute(SCHEMA, &[])
}

/// The `IncidentWorkflow` instance id of an incident's generation.
pub fn instance_id(incident_id: &str, generation: i64) -> String {
    if generation <= 1 {
        format!("incident-{incident_id}")
    } else {
        format!("incident-{incident_id}-g{generation}")
    }
}

#[derive(serde::Deserialize)]
struct Generation {
    generation: i64,
    events: i64,
    last_forward_at: i64,
}

pub struct IncidentForwarder<'a, S: SqlStore> {
    workflows: &'a dyn WorkflowClient,
    store: &'a S,
    incident_id: String,
    now_ms: i64,
}

impl<'a, S: SqlStore> IncidentForwarder<'a, S> {
    pub fn new(
        workflows: &'a dyn WorkflowClient,
        store: &'a S,
        incident_id: &str,
        now_ms: i64,
    ) -> Self {
        Self {
            workflows,
            store,
            incident_id: incident_id.to_owned(),
            now_ms,
        }
    }

    fn current(&self) -> Result<Option<Generation>, SqlError> {
        current_generation(self.store)
    }

    fn record(&self, generation: i64, events: i64) -> Result<(), SqlError> {
        self.store.execute(
            "INSERT INTO workflow_instance (singleton, generation, events, last_forward_at) VALUES (1, ?, ?, ?) \
             ON CONFLICT(singleton) DO UPDATE SET generation = excluded.generation, events = excluded.events, \
             last_forward_at = excluded.last_forward_at",
            &[generation.into(), events.into(), self.now_ms.into()],
        )
    }
}

fn current_generation<S: SqlStore>(store: &S) -> Result<Option<Generation>, SqlError> {
    let rows = store.query_as::<Generation>(
        "SELECT generation, events, last_forward_at FROM workflow_instance WHERE singleton = 1",
        &[],
    )?;
    Ok(rows.into_iter().next())
}

/// The instance the incident's events currently go to, for the API.
pub fn current_instance<S: SqlStore>(store: &S, incident_id: &str) -> Result<String, SqlError> {
    let generation = current_generation(store)?.map_or(1, |g| g.generation);
    Ok(instance_id(incident_id, generation))
}

/// Builds the forwarded message from the row's own snapshot (state as of the event).
pub fn message_for(row: &OutboxRow) -> Result<IncidentMessage, String> {
    let snapshot = row
        .snapshot
        .clone()
        .ok_or_else(|| format!("event {} has no snapshot", row.event_id))?;
    let incident: IncidentState = serde_json::from_value(snapshot)
        .map_err(|e| format!("event {} snapshot: {e}", row.event_id))?;
    Ok(IncidentMessage {
        incident_id: incident.id.clone(),
        event_id: row.event_id,
        event_type: row.event_type.clone(),
        data: row.data.clone(),
        at: row.created_at,
        incident,
    })
}

#[async_trait::async_trait(?Send)]
impl<S: SqlStore> Forwarder for IncidentForwarder<'_, S> {
    async fn forward(&self, row: &OutboxRow) -> Result<(), ForwardError> {
        let fail = |e: String| ForwardError(e);
        let message = message_for(row).map_err(fail)?;
        let payload = serde_json::to_value(&message).map_err(|e| fail(e.to_string()))?;
        let current = self.current().map_err(|e| fail(e.message))?;
        let (generation, events) = match &current {
            None => (1, 0),
            Some(g) => (g.generation, g.events),
        };
        let idle = current
            .as_ref()
            .is_some_and(|g| self.now_ms - g.last_forward_at >= ROLL_AFTER_IDLE_MS);
        let full = events >= EVENTS_PER_INSTANCE;
        if row.event_type == event_type::INCIDENT_CREATED || current.is_none() {
            self.workflows
                .create(&instance_id(&self.incident_id, 1), &payload)
                .await
                .map_err(|e| fail(e.message))?;
            self.record(1, 1).map_err(|e| fail(e.message))?;
        } else if idle || full {
            let next = generation + 1;
            self.workflows
                .create(&instance_id(&self.incident_id, next), &payload)
                .await
                .map_err(|e| fail(e.message))?;
            self.record(next, 1).map_err(|e| fail(e.message))?;
        } else {
            let id = instance_id(&self.incident_id, generation);
            self.workflows
                .send_event(&id, WORKFLOW_EVENT_TYPE, &payload)
                .await
                .map_err(|e| fail(e.message))?;
            self.record(generation, events + 1)
                .map_err(|e| fail(e.message))?;
        }
        Ok(())
    }
}
