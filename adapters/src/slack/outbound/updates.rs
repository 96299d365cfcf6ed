//! Later events in Slack: severity, status and assignee changes re-render the announcement
//! (`chat.update`, in the incident channel, in the declaring thread and in the announcement
//! channel's broadcast) and post a short note; a severity raised to high is broadcast
//! (`slack::broadcast`); a closing status posts the closing summary instead, then archives the
//! channel unless the installation opted out; a status-page change is noted in the channel; a
//! message added from the dashboard is mirrored into the channel, and the agent's answer to a
//! prompt made in Slack goes in that prompt's thread (`slack::thread_reply`). Notes are posted
//! once: the channel is searched for the note's metadata before posting (a retry, or an
//! answer that never came, must not post it twice).

use crate::slack::incident_keys as keys;
use crate::slack::outbound::announce;
use crate::slack::outbound::api::{SlackApi, SlackCallError};
use crate::slack::outbound::blocks::{self, IncidentCard, SlackPost};
use crate::slack::outbound::broadcast;
use crate::slack::outbound::channel;
use crate::slack::outbound::posting::{post_once, Place};
use crate::slack::outbound::thread_reply;
use crate::slack::outbound::workspace::Workspace;
use incidentd_core::model::{event_type, ActorKind};
use incidentd_core::{
    AffectionUpdated, AssigneeUpdated, IncidentCreated, IncidentEvent, IncidentServices,
    IncidentState, IncidentView, MessageAdded, PromptAdded, Severity, SeverityUpdated,
    StatusUpdated,
};
use serde_json::json;
use sluice::prelude::*;
use std::collections::BTreeMap;

/// What the created handler made, as recorded on the incident.
pub(super) struct Announced {
    channel: String,
    announcement_ts: String,
    /// The declaring thread's channel and the announcement copy posted there.
    source: Option<(String, String)>,
    /// The announcement channel and the broadcast of a high-severity incident there.
    broadcast: Option<(String, String)>,
}

impl Announced {
    fn of(metadata: &BTreeMap<String, String>) -> Option<Announced> {
        let get = |key: &str| metadata.get(key).cloned();
        Some(Announced {
            channel: get(keys::CHANNEL)?,
            announcement_ts: get(keys::ANNOUNCEMENT_TS)?,
            source: get(keys::SOURCE_CHANNEL).zip(get(keys::SOURCE_REPLY_TS)),
            broadcast: get(keys::BROADCAST_CHANNEL).zip(get(keys::BROADCAST_TS)),
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
        Place::channel(&self.channel)
    }

    /// The incident's own conversations: its channel and the declaring message's channel.
    fn conversations(&self) -> Vec<&str> {
        std::iter::once(self.channel.as_str())
            .chain(self.source.as_ref().map(|(channel, _)| channel.as_str()))
            .collect()
    }
}

/// The assignee, when they are a Slack user (the only kind a message can mention).
pub(super) fn slack_assignee(incident: &IncidentState) -> Option<&str> {
    incident
        .assignee
        .as_deref()
        .filter(|a| channel::is_slack_user(a))
}

fn card<'a>(incident: &'a IncidentState, event_id: i64, channel: &'a str) -> IncidentCard<'a> {
    IncidentCard {
        incident,
        event_id,
        assignee_slack_id: slack_assignee(incident),
        channel_id: Some(channel),
    }
}

/// Whether the copy in the declaring thread is to be shown in its channel too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadCopy {
    Keep,
    /// Broadcast it (`reply_broadcast`): the incident became high.
    Broadcast,
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
        actor: None,
        data: IncidentCreated::of(incident),
    }
}

/// Re-renders the announcement (metadata kept as posted) as of `event_id`, and its copies.
async fn refresh(
    api: &SlackApi,
    announced: &Announced,
    incident: &IncidentState,
    event_id: i64,
    thread_copy: ThreadCopy,
) -> Result<(), SlackCallError> {
    let card = card(incident, event_id, &announced.channel);
    let post = blocks::announcement(card, event_id);
    let args = post.update_args(&announced.channel, &announced.announcement_ts);
    api.call("chat.update", &args).await?;
    // The copies are a courtesy: a deleted thread or broadcast must not block the incident.
    let courtesy = |what: &str, outcome: Result<_, SlackCallError>| {
        if let Err(e) = outcome {
            sluice::log::info(&format!("slack: {what} not updated: {e}"));
        }
    };
    if let Some((channel, ts)) = &announced.source {
        let mut args = post.update_args(channel, ts);
        if thread_copy == ThreadCopy::Broadcast {
            args["reply_broadcast"] = true.into();
        }
        courtesy("thread copy", api.call("chat.update", &args).await);
    }
    if let Some((channel, ts)) = &announced.broadcast {
        // Its metadata keeps the event it was first posted for; only the content changes.
        let args = blocks::broadcast(card, event_id).update_args(channel, ts);
        courtesy("broadcast", api.call("chat.update", &args).await);
    }
    Ok(())
}

async fn refresh_and_note<T>(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<T>,
    thread_copy: ThreadCopy,
    note: impl FnOnce(&Announced) -> SlackPost,
) -> Result<Announced, EffectError> {
    let announced = Announced::load(ctx, workspace, event).await?;
    refresh(
        &workspace.api,
        &announced,
        &event.incident,
        event.event_id,
        thread_copy,
    )
    .await?;
    post_once(&workspace.api, announced.place(), &note(&announced), true).await?;
    Ok(announced)
}

/// Re-renders and notes the change; raised to high, the incident is also shown in the
/// declaring channel (its thread copy broadcast) and in the announcement channel.
pub(crate) async fn severity_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<SeverityUpdated>,
) -> Result<(), EffectError> {
    let note = blocks::severity_note(&event.incident_id, event.event_id, event.severity, None);
    let high = event.severity == Severity::High;
    let thread_copy = if high {
        ThreadCopy::Broadcast
    } else {
        ThreadCopy::Keep
    };
    let announced = refresh_and_note(ctx, workspace, event, thread_copy, |_| note).await?;
    if high {
        // The live metadata: the declaration (or an earlier raise) may have broadcast it
        // since this event's snapshot.
        let handle = ctx
            .services
            .incident(&event.incident_id, &event.incident.tenant_id)?;
        let metadata = handle.get().await?.incident.metadata;
        broadcast::announce_if_high(
            workspace,
            &handle,
            &event.incident,
            event.event_id,
            &announced.channel,
            &metadata,
        )
        .await?;
    }
    Ok(())
}

/// A status-page change, noted in the incident channel (`AFFECTION_UPDATE`).
pub(crate) async fn affection_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<AffectionUpdated>,
) -> Result<(), EffectError> {
    let announced = Announced::load(ctx, workspace, event).await?;
    let note = blocks::affection_note(&event.incident_id, event.event_id, &event.data);
    post_once(&workspace.api, announced.place(), &note, true).await?;
    Ok(())
}

pub(crate) async fn assignee_update(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<AssigneeUpdated>,
) -> Result<(), EffectError> {
    let assignee = event
        .assignee
        .as_deref()
        .filter(|a| channel::is_slack_user(a));
    let note = blocks::assignee_note(&event.incident_id, event.event_id, assignee, None);
    let announced = refresh_and_note(ctx, workspace, event, ThreadCopy::Keep, |_| note).await?;
    let bot = &workspace.installation.bot_user_id;
    channel::invite(
        &workspace.api,
        &announced.channel,
        &Vec::from_iter(assignee),
        bot,
    )
    .await
}

pub(crate) async fn status_update(
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
        refresh_and_note(ctx, workspace, event, ThreadCopy::Keep, |_| note).await?;
        return Ok(());
    }
    let archive = workspace.installation.archive_on_close();
    let announced = Announced::load(ctx, workspace, event).await?;
    let refreshed = refresh(
        &workspace.api,
        &announced,
        &event.incident,
        event.event_id,
        ThreadCopy::Keep,
    );
    match refreshed.await {
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
            sluice::log::info(&format!("slack: channel not archived: {refused}"));
            Ok(())
        }
    }
}

pub(crate) async fn message_added(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<MessageAdded>,
) -> Result<(), EffectError> {
    // A message a Slack user wrote is recorded from the incident's own conversations: it is
    // in Slack already. Known from the event's actor, before any I/O.
    if event
        .actor
        .as_ref()
        .is_some_and(|actor| actor.kind == ActorKind::Slack)
    {
        return Ok(());
    }
    let announced = Announced::load(ctx, workspace, event).await?;
    // Events recorded before actors were: Slack messages carry `<channel>:<ts>` ids of the
    // incident's own conversations.
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
pub(crate) async fn prompt_added(
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
        sluice::log::info(&format!("slack: reaction skipped: {e}"));
    }
    Ok(())
}
