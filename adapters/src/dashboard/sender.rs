//! The dashboard sender: keeps the D1 incident index in step with each event's state snapshot.
//! The upsert only moves a row forward (newer event id), so redeliveries, retries and
//! out-of-order deliveries are harmless.

use super::INDEX_DATABASE;
use incidentd_core::model::event_type;
use incidentd_core::IncidentMessage;
use incidentd_runtime::registry::{SenderCall, SenderDef};
use incidentd_runtime::{Backoff, Duration, EffectError, RetryPolicy, StepConfig};

const UPSERT: &str = "INSERT INTO incident_index \
    (id, tenant_id, status, severity, assignee, title, description, created_at, updated_at, last_event_id) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (id) DO UPDATE SET \
        status = excluded.status, severity = excluded.severity, assignee = excluded.assignee, \
        title = excluded.title, description = excluded.description, \
        updated_at = excluded.updated_at, last_event_id = excluded.last_event_id \
    WHERE excluded.last_event_id > incident_index.last_event_id";

fn label(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn index_incident(call: SenderCall) -> Result<(), EffectError> {
    let message: IncidentMessage = serde_json::from_value((*call.message).clone())
        .map_err(|e| EffectError::non_retryable(format!("not an incident message: {e}")))?;
    let db = call
        .services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::non_retryable(e.message))?;
    let state = &message.incident;
    db.execute(
        UPSERT,
        vec![
            state.id.as_str().into(),
            state.tenant_id.as_str().into(),
            label(state.status).into(),
            label(state.severity).into(),
            state.assignee.clone().into(),
            state.title.as_str().into(),
            state.description.as_str().into(),
            state.created_at.into(),
            state.updated_at.into(),
            message.event_id.into(),
        ],
    )
    .await
    .map_err(|e| EffectError::retryable(format!("index upsert failed: {e}")))
}

incidentd_runtime::__private::inventory::submit! {
    SenderDef {
        name: "dashboard.index",
        workflow: "IncidentWorkflow",
        events: &[event_type::INCIDENT_CREATED],
        config: StepConfig {
            retries: RetryPolicy { limit: 5, delay: Duration::from_millis(1_000), backoff: Backoff::Exponential },
            timeout: Duration::from_millis(30_000),
        },
        run: |call| Box::pin(index_incident(call)),
    }
}
