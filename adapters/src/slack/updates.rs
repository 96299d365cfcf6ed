//! Later events in Slack: severity, status and assignee changes re-render the announcement
//! (`chat.update`, in the incident channel and in the declaring thread) and post a short note;
//! a closing status posts the closing summary instead; a message added from the dashboard is
//! mirrored into the channel. Notes are posted once: the channel is searched for the note's
//! metadata before posting (a retry, or an answer that never came, must not post it twice).

use super::api::SlackApi;
use super::blocks::{self, IncidentCard, SlackPost};
use super::channel;
use super::incident_keys as keys;
use super::posting::{post_once, Place};
use super::workspace::Workspace;
use incidentd_core::{
    AssigneeUpdated, IncidentEvent, IncidentServices, IncidentState, MessageAdded, SeverityUpdated,
    StatusUpdated,
};
use incidentd_runtime::prelude::*;
use std::collections::BTreeMap;

/// What the created handler made, as recorded on the incident.
pub(super) struct Announced {
    channel: String,
    announcement_ts: String,
    /// The declaring thread's channel and the announcement copy posted there.
    source: Option<(String, String)>,
}

impl Announced {
    fn of(metadata: &BTreeMap<String, String>) -> Option<Announced> {
        let get = |key: &str| metadata.get(key).cloned();
        Some(Announced {
            channel: get(keys::CHANNEL)?,
            announcement_ts: get(keys::ANNOUNCEMENT_TS)?,
            source: get(keys::SOURCE_CHANNEL).zip(get(keys::SOURCE_REPLY_TS)),
        })
    }

    /// From the event's snapshot when it already knew; else from the live incident (the
    /// created handler may have finished after this event was committed). A closed incident's
    /// object may be gone by now, which is why the snapshot comes first.
    pub(super) async fn load<T>(
        ctx: &SendContext,
        event: &IncidentEvent<T>,
    ) -> Result<Announced, EffectError> {
        if let Some(announced) = Announced::of(&event.incident.metadata) {
            return Ok(announced);
        }
        let live = ctx
            .services
            .incident(&event.incident_id, &event.incident.tenant_id)?
            .get()
            .await?;
        Announced::of(&live.incident.metadata)
            .ok_or_else(|| EffectError::retryable("the incident is not announced in Slack yet"))
    }

    pub(super) fn place(&self) -> Place<'_> {
        Place {
            channel: &self.channel,
            thread_ts: None,
        }
    }
}

fn card<'a>(incident: &'a IncidentState, event_id: i64, channel: &'a str) -> IncidentCard<'a> {
    let assignee = incident
        .assignee
        .as_deref()
        .filter(|a| channel::is_slack_user(a));
    IncidentCard {
        incident,
        event_id,
        assignee_slack_id: assignee,
        channel_id: Some(channel),
    }
}

/// Re-renders the announcement (metadata kept as posted) as of `event_id`.
async fn refresh(
    api: &SlackApi,
    announced: &Announced,
    incident: &IncidentState,
    event_id: i64,
) -> Result<(), EffectError> {
    let post = blocks::announcement(card(incident, event_id, &announced.channel), event_id);
    let args = post.update_args(&announced.channel, &announced.announcement_ts);
    api.call("chat.update", &args).await?;
    if let Some((channel, ts)) = &announced.source {
        // The copy in the declaring thread is a courtesy: a deleted thread must not block.
        if let Err(e) = api
            .call("chat.update", &post.update_args(channel, ts))
            .await
        {
            incidentd_runtime::log::info(&format!("slack: thread copy not updated: {e}"));
        }
    }
    Ok(())
}

async fn refresh_and_note<T>(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<T>,
    note: impl FnOnce(&Announced) -> SlackPost,
) -> Result<Announced, EffectError> {
    let announced = Announced::load(ctx, event).await?;
    refresh(&workspace.api, &announced, &event.incident, event.event_id).await?;
    post_once(&workspace.api, announced.place(), &note(&announced), true).await?;
    Ok(announced)
}

pub async fn severity_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<SeverityUpdated>,
) -> Result<(), EffectError> {
    let note = blocks::severity_note(&event.incident_id, event.event_id, event.severity, None);
    refresh_and_note(ctx, workspace, event, |_| note).await?;
    Ok(())
}

pub async fn assignee_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<AssigneeUpdated>,
) -> Result<(), EffectError> {
    let assignee = event
        .assignee
        .as_deref()
        .filter(|a| channel::is_slack_user(a));
    let note = blocks::assignee_note(&event.incident_id, event.event_id, assignee, None);
    let announced = refresh_and_note(ctx, workspace, event, |_| note).await?;
    let bot = &workspace.installation.bot_user_id;
    channel::invite(
        &workspace.api,
        &announced.channel,
        &Vec::from_iter(assignee),
        bot,
    )
    .await
}

pub async fn status_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<StatusUpdated>,
) -> Result<(), EffectError> {
    let post = |announced: &Announced| match event.status.is_terminal() {
        // Archiving the channel is not wired yet.
        true => blocks::closing_summary(
            card(&event.incident, event.event_id, &announced.channel),
            &event.message,
            false,
        ),
        false => blocks::status_note(
            &event.incident_id,
            event.event_id,
            event.status,
            &event.message,
            None,
        ),
    };
    refresh_and_note(ctx, workspace, event, post).await?;
    Ok(())
}

pub async fn message_added(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<MessageAdded>,
) -> Result<(), EffectError> {
    let announced = Announced::load(ctx, event).await?;
    // Messages recorded from Slack carry `<channel>:<ts>` ids of the incident's own
    // conversations: they are in Slack already.
    let from_slack = [
        Some(&announced.channel),
        announced.source.as_ref().map(|s| &s.0),
    ]
    .into_iter()
    .flatten()
    .any(|c| event.message_id.starts_with(&format!("{c}:")));
    if from_slack {
        return Ok(());
    }
    let post = blocks::dashboard_message(
        &event.incident_id,
        event.event_id,
        &event.user_id,
        &event.message,
    );
    post_once(&workspace.api, announced.place(), &post, true).await?;
    Ok(())
}
