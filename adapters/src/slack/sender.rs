//! The Slack sender: turns incident events into Slack effects in the tenant's connected
//! workspace (none when the tenant has not connected one): `announce` for a new incident,
//! `updates` for what follows. Without `SLACK_TOKEN_KEY` no tenant can have a usable
//! connection, so its handlers run no step at all.

use super::workspace::Workspace;
use super::{announce, updates};
use incidentd_core::{
    AssigneeUpdated, IncidentCreated, IncidentEvent, IncidentSender, MessageAdded, SeverityUpdated,
    StatusUpdated,
};
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

    async fn severity_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<SeverityUpdated>,
    ) -> Result<(), EffectError> {
        match Workspace::of_tenant(ctx, &event.incident.tenant_id).await? {
            Some(workspace) => updates::severity_update(ctx, &workspace, event).await,
            None => Ok(()),
        }
    }

    async fn status_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<StatusUpdated>,
    ) -> Result<(), EffectError> {
        match Workspace::of_tenant(ctx, &event.incident.tenant_id).await? {
            Some(workspace) => updates::status_update(ctx, &workspace, event).await,
            None => Ok(()),
        }
    }

    async fn assignee_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<AssigneeUpdated>,
    ) -> Result<(), EffectError> {
        match Workspace::of_tenant(ctx, &event.incident.tenant_id).await? {
            Some(workspace) => updates::assignee_update(ctx, &workspace, event).await,
            None => Ok(()),
        }
    }

    async fn message_added(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<MessageAdded>,
    ) -> Result<(), EffectError> {
        match Workspace::of_tenant(ctx, &event.incident.tenant_id).await? {
            Some(workspace) => updates::message_added(ctx, &workspace, event).await,
            None => Ok(()),
        }
    }
}
