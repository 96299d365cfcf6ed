//! Later events in Slack: severity, status and assignee changes re-render the announcement
//! (`chat.update`, in the incident channel and in the declaring thread) and post a short note;
//! a closing status posts the closing summary instead, then archives the channel when the
//! installation says so; a message added from the dashboard is mirrored into the channel, and
//! the agent's answer to a prompt made in Slack goes in that prompt's thread
//! (`slack::thread_reply`). Notes are posted once: the channel is searched for the note's
//! metadata before posting (a retry, or an answer that never came, must not post it twice).

use super::announce;
use super::api::{SlackApi, SlackCallError};
use super::blocks::{self, IncidentCard, SlackPost};
use super::channel;
use super::incident_keys as keys;
use super::posting::{post_once, Place};
use super::thread_reply;
use super::workspace::Workspace;
use incidentd_core::model::event_type;
use incidentd_core::{
    AssigneeUpdated, IncidentCreated, IncidentEvent, IncidentServices, IncidentState, IncidentView,
    MessageAdded, PromptAdded, SeverityUpdated, StatusUpdated,
};
use incidentd_runtime::prelude::*;
use serde_json::json;
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
    ///
    /// Not announced yet: the created handler is still at work (retry later), or its event is
    /// a dead letter. Then this event announces the incident as it is now: waiting for a
    /// replay that may come hours later would exhaust this event's retries and lose it. The
    /// replayed `INCIDENT_CREATED` finds the work done (the created handler skips what the
    /// incident's metadata records).
    pub(super) async fn load<T>(
        ctx: &SendContext,
        workspace: &Workspace,
        event: &IncidentEvent<T>,
    ) -> Result<Announced, EffectError> {
        if let Some(announced) = Announced::of(&event.incident.metadata) {
            return Ok(announced);
        }
        let handle = ctx
            .services
            .incident(&event.incident_id, &event.incident.tenant_id)?;
        let live = handle.get().await?;
        if let Some(announced) = Announced::of(&live.incident.metadata) {
            return Ok(announced);
        }
        let dead_creation = live
            .timeline
            .iter()
            .find(|e| e.event_type == event_type::INCIDENT_CREATED && e.dead_lettered);
        if let Some(created) = dead_creation {
            let announcement = announcement_of(&live, created.event_id);
            announce::incident_created(ctx, workspace, &announcement).await?;
            let now = handle.get().await?;
            if let Some(announced) = Announced::of(&now.incident.metadata) {
                return Ok(announced);
            }
        }
        Err(EffectError::retryable(
            "the incident is not announced in Slack yet",
        ))
    }

    pub(super) fn place(&self) -> Place<'_> {
        Place {
            channel: &self.channel,
            thread_ts: None,
        }
    }

    /// The incident's own conversations: its channel and the declaring message's channel.
    fn conversations(&self) -> Vec<&str> {
        std::iter::once(self.channel.as_str())
            .chain(self.source.as_ref().map(|(channel, _)| channel.as_str()))
            .collect()
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

/// `INCIDENT_CREATED` (event `created`, so the announcement is found by that event as
/// usual) carrying the incident as it is now.
fn announcement_of(live: &IncidentView, created: i64) -> IncidentEvent<IncidentCreated> {
    let incident = &live.incident;
    IncidentEvent {
        incident_id: incident.id.clone(),
        event_id: created,
        at: incident.updated_at,
        incident: incident.clone(),
        data: IncidentCreated::of(incident),
    }
}

/// Re-renders the announcement (metadata kept as posted) as of `event_id`.
async fn refresh(
    api: &SlackApi,
    announced: &Announced,
    incident: &IncidentState,
    event_id: i64,
) -> Result<(), SlackCallError> {
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
    let announced = Announced::load(ctx, workspace, event).await?;
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
    if !event.status.is_terminal() {
        let note = blocks::status_note(
            &event.incident_id,
            event.event_id,
            event.status,
            &event.message,
            None,
        );
        refresh_and_note(ctx, workspace, event, |_| note).await?;
        return Ok(());
    }
    let archive = workspace.installation.archive_on_close();
    let announced = Announced::load(ctx, workspace, event).await?;
    match refresh(&workspace.api, &announced, &event.incident, event.event_id).await {
        // The channel is archived only after the summary: an earlier attempt did it all.
        Err(e) if archive && e.is_code("is_archived") => return Ok(()),
        outcome => outcome?,
    }
    let summary = blocks::closing_summary(
        card(&event.incident, event.event_id, &announced.channel),
        &event.message,
        archive,
    );
    post_once(&workspace.api, announced.place(), &summary, true).await?;
    if archive {
        archive_channel(&workspace.api, &announced.channel).await?;
    }
    Ok(())
}

/// `conversations.archive`; `already_archived` is done. A refusal (`cant_archive_general`, a
/// missing scope) is logged and skipped: the incident is closed and summarised all the same.
async fn archive_channel(api: &SlackApi, channel: &str) -> Result<(), EffectError> {
    let args = serde_json::json!({ "channel": channel });
    match api
        .call_allowing("conversations.archive", &args, &["already_archived"])
        .await
    {
        Ok(()) => Ok(()),
        Err(SlackCallError::Unanswered(e)) => Err(e),
        Err(refused) => {
            incidentd_runtime::log::info(&format!("slack: channel not archived: {refused}"));
            Ok(())
        }
    }
}

pub async fn message_added(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<MessageAdded>,
) -> Result<(), EffectError> {
    let announced = Announced::load(ctx, workspace, event).await?;
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
    if let Some(thread) = thread_reply::place(&event.message_id, &announced.conversations()) {
        let post = thread_reply::post(&event.incident_id, event.event_id, &event.message);
        post_once(&workspace.api, thread, &post, true).await?;
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

/// A prompt made in Slack (`prompt_id` = `<channel>:<ts>` of the mention) gets an `eyes`
/// reaction: the person sees it was received while the agent works on the answer.
pub async fn prompt_added(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<PromptAdded>,
) -> Result<(), EffectError> {
    let announced = Announced::load(ctx, workspace, event).await?;
    let agent_reply_id = format!("agent:{}", event.prompt_id);
    let Some(place) = thread_reply::place(&agent_reply_id, &announced.conversations()) else {
        return Ok(()); // a dashboard prompt: nothing in Slack to react to
    };
    let eyes = json!({ "channel": place.channel, "timestamp": place.thread_ts, "name": "eyes" });
    if let Err(e) = workspace
        .api
        .call_allowing("reactions.add", &eyes, &["already_reacted"])
        .await
    {
        // A courtesy, like the declaring mention's `fire`: never worth failing the step.
        incidentd_runtime::log::info(&format!("slack: reaction skipped: {e}"));
    }
    Ok(())
}
