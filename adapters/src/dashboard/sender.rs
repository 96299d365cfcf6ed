//! The dashboard sender: keeps the D1 incident index in step with each event's state snapshot.
//! The upsert only moves a row forward (newer event id), so redeliveries, retries and
//! out-of-order deliveries are harmless.

use super::INDEX_DATABASE;
use incidentd_core::{
    AssigneeUpdated, DetailsUpdated, IncidentCreated, IncidentEvent, IncidentSender, IncidentState,
    SeverityUpdated, StatusUpdated,
};
use sluice::prelude::*;

const UPSERT: &str = "INSERT INTO incident_index \
    (id, tenant_id, identifiers, status, severity, assignee, title, description, created_at, updated_at, last_event_id) \
    VALUES (?, ?, json_array(?), ?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (id) DO UPDATE SET \
        status = excluded.status, severity = excluded.severity, assignee = excluded.assignee, \
        title = excluded.title, description = excluded.description, \
        updated_at = excluded.updated_at, last_event_id = excluded.last_event_id \
    WHERE excluded.last_event_id > incident_index.last_event_id";

/// Writes the incident's index row as of `event_id`.
pub async fn upsert(
    ctx: &SendContext,
    state: &IncidentState,
    event_id: i64,
) -> Result<(), EffectError> {
    let db = ctx
        .services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::non_retryable(e.message))?;
    db.execute(
        UPSERT,
        vec![
            state.id.as_str().into(),
            state.tenant_id.as_str().into(),
            format!("incident:{}", state.id).into(),
            state.status.as_str().into(),
            state.severity.as_str().into(),
            state.assignee.clone().into(),
            state.title.as_str().into(),
            state.description.as_str().into(),
            state.created_at.into(),
            state.updated_at.into(),
            event_id.into(),
        ],
    )
    .await
    .map_err(|e| EffectError::retryable(format!("index upsert failed: {e}")))
}

#[derive(Default)]
pub struct DashboardIndex;

/// Every event that changes a listed column rewrites the row from the event's snapshot.
#[sender(
    name = "dashboard",
    retries(
        limit = 12,
        delay = "1 second",
        backoff = "exponential",
        max_delay = "2 minutes"
    ),
    timeout = "30 seconds"
)]
impl IncidentSender for DashboardIndex {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        upsert(ctx, &event.incident, event.event_id).await
    }

    async fn status_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<StatusUpdated>,
    ) -> Result<(), EffectError> {
        upsert(ctx, &event.incident, event.event_id).await
    }

    async fn severity_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<SeverityUpdated>,
    ) -> Result<(), EffectError> {
        upsert(ctx, &event.incident, event.event_id).await
    }

    async fn assignee_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<AssigneeUpdated>,
    ) -> Result<(), EffectError> {
        upsert(ctx, &event.incident, event.event_id).await
    }

    /// Triage's new title and description: without this, the index kept the snapshot of
    /// triage's severity change (made just before, with the declared title) for good.
    async fn details_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<DetailsUpdated>,
    ) -> Result<(), EffectError> {
        upsert(ctx, &event.incident, event.event_id).await
    }
}
