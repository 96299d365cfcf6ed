//! The `status_page` dispatcher: publishes each incident's affection to the tenant's public
//! status page (D1 tables of migrations/0003_status_page.sql). A dispatcher, not a sender:
//! it feeds a product surface shared by every adapter rather than one external system.
//!
//! Idempotent per event: the rows are keyed by (incident, event id) and only move forward, so
//! redeliveries, retries and replays of older events write nothing twice and never move the
//! public status backwards (see `store`). The key template is unused by the writes (their
//! primary keys are the dedupe) but follows docs/delivery.md: incident and event, not instance.

use super::{projection, store, STATUS_DATABASE};
use incidentd_core::{AffectionUpdated, IncidentEvent, IncidentSender, StatusUpdated};
use sluice::prelude::*;

#[derive(Default)]
pub struct StatusPage;

async fn publish(
    ctx: &SendContext,
    write: Option<projection::PublicWrite>,
) -> Result<(), EffectError> {
    let Some(write) = write else {
        return Ok(());
    };
    let db = ctx
        .services
        .database(STATUS_DATABASE)
        .map_err(|e| EffectError::non_retryable(e.message))?;
    store::apply(db.as_ref(), &write)
        .await
        .map_err(|e| EffectError::retryable(format!("status page write failed: {e}")))
}

#[dispatcher(
    name = "status_page",
    retries(
        limit = 12,
        delay = "2 seconds",
        backoff = "exponential",
        max_delay = "5 minutes"
    ),
    timeout = "30 seconds",
    idempotency_key = "{incident_id}:{event_id}:status_page"
)]
impl IncidentSender for StatusPage {
    /// The first creates the public incident (title and services), each adds an update.
    async fn affection_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<AffectionUpdated>,
    ) -> Result<(), EffectError> {
        publish(ctx, projection::affection_update(event)).await
    }

    /// Resolving or declining the incident resolves its public incident, if it has one.
    async fn status_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<StatusUpdated>,
    ) -> Result<(), EffectError> {
        publish(ctx, projection::status_update(event)).await
    }
}
