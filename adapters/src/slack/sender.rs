//! The Slack sender: turns incident events into Slack effects in the tenant's connected
//! workspace (none when the tenant has not connected one). Without `SLACK_TOKEN_KEY` no tenant
//! can have a usable connection, so its handlers run no step at all.

use super::announce;
use super::workspace::Workspace;
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use incidentd_runtime::prelude::*;

#[derive(Default)]
pub struct Slack;

#[sender(
    name = "slack",
    requires_var = "SLACK_TOKEN_KEY",
    retries(limit = 5, delay = "2 seconds", backoff = "exponential"),
    timeout = "2 minutes",
    idempotency_key = "{incident_id}:{event_id}:slack"
)]
impl IncidentSender for Slack {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        match Workspace::of_tenant(ctx, &event.incident.tenant_id).await? {
            Some(workspace) => announce::incident_created(ctx, &workspace, event).await,
            None => Ok(()),
        }
    }
}
