//! The Slack sender: turns incident events into Slack effects in the tenant's connected
//! workspace (none when the tenant has not connected one): `announce` for a new incident,
//! `updates` for what follows (status-page changes included), `suggestions` for the agent's.
//! Without `SLACK_TOKEN_KEY` no tenant can have a usable connection, so its handlers run no
//! step at all; an installation Slack disabled fails each step at once, saying so
//! (`Workspace::of_tenant`).

use crate::slack::outbound::workspace::Workspace;
use crate::slack::outbound::{announce, suggestions, updates};
use incidentd_core::{
    AffectionUpdated, AssigneeUpdated, IncidentCreated, IncidentEvent, IncidentSender,
    MessageAdded, PromptAdded, SeverityUpdated, StatusUpdated, SuggestionAdded,
};
use sluice::prelude::*;
use std::future::Future;

#[derive(Default)]
pub(crate) struct Slack;

/// Runs `work` in the tenant's workspace; nothing when the tenant has not connected one.
async fn in_workspace<F, Fut>(ctx: &SendContext, tenant: &str, work: F) -> Result<(), EffectError>
where
    F: FnOnce(Workspace) -> Fut,
    Fut: Future<Output = Result<(), EffectError>>,
{
    match Workspace::of_tenant(ctx.services.as_ref(), tenant).await? {
        Some(workspace) => work(workspace).await,
        None => Ok(()),
    }
}

#[sender(
    name = "slack",
    requires_var = "SLACK_TOKEN_KEY",
    retries(
        limit = 12,
        delay = "2 seconds",
        backoff = "exponential",
        max_delay = "5 minutes"
    ),
    timeout = "2 minutes",
    idempotency_key = "{incident_id}:{event_id}:slack"
)]
impl IncidentSender for Slack {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            announce::incident_created(ctx, &workspace, event).await
        })
        .await
    }

    async fn severity_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<SeverityUpdated>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::severity_update(ctx, &workspace, event).await
        })
        .await
    }

    async fn status_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<StatusUpdated>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::status_update(ctx, &workspace, event).await
        })
        .await
    }

    async fn assignee_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<AssigneeUpdated>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::assignee_update(ctx, &workspace, event).await
        })
        .await
    }

    async fn message_added(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<MessageAdded>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::message_added(ctx, &workspace, event).await
        })
        .await
    }

    async fn affection_update(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<AffectionUpdated>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::affection_update(ctx, &workspace, event).await
        })
        .await
    }

    async fn prompt_added(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<PromptAdded>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            updates::prompt_added(ctx, &workspace, event).await
        })
        .await
    }

    async fn suggestion_added(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<SuggestionAdded>,
    ) -> Result<(), EffectError> {
        in_workspace(ctx, &event.incident.tenant_id, |workspace| async move {
            suggestions::suggestion_added(ctx, &workspace, event).await
        })
        .await
    }
}
