//! `INCIDENT_CREATED` in Slack: the incident's channel, its people, the pinned announcement,
//! and, for an incident declared by a mention, the `fire` reaction on the mention and the
//! announcement in its thread (broadcast to that channel when the incident is high); a
//! high-severity incident is also announced in the tenant's announcement channel
//! (`slack::broadcast`). Each stage writes back what it made (incident metadata, index
//! identifiers), so a retried step skips what is done and searches before re-posting.

use crate::dashboard::{identifiers, sender as index, INDEX_DATABASE};
use crate::slack::inbound::classify::{channel_identifier, thread_identifier};
use crate::slack::incident_keys as keys;
use crate::slack::outbound::blocks::{self, IncidentCard};
use crate::slack::outbound::broadcast;
use crate::slack::outbound::channel::{self, Created};
use crate::slack::outbound::channel_claims;
use crate::slack::outbound::channel_name::ChannelNames;
use crate::slack::outbound::posting::{post_once, Place};
use crate::slack::outbound::updates::slack_assignee;
use crate::slack::outbound::workspace::Workspace;
use incidentd_core::{
    IncidentCreated, IncidentEvent, IncidentHandle, IncidentServices, Severity, Source,
};
use serde_json::json;
use sluice::prelude::*;
use sluice::sql::Database;
use std::collections::BTreeMap;
use std::rc::Rc;

type Metadata = BTreeMap<String, String>;

/// Where the declaring mention was (recorded by the receiver).
struct SourceMessage {
    channel: String,
    ts: String,
    thread_ts: String,
}

impl SourceMessage {
    fn of(metadata: &Metadata) -> Option<SourceMessage> {
        let get = |key: &str| metadata.get(key).cloned();
        Some(SourceMessage {
            channel: get(keys::SOURCE_CHANNEL)?,
            ts: get(keys::SOURCE_TS)?,
            thread_ts: get(keys::SOURCE_THREAD_TS)?,
        })
    }
}

pub(crate) async fn incident_created(
    ctx: &SendContext,
    workspace: &Workspace,
    event: &IncidentEvent<IncidentCreated>,
) -> Result<(), EffectError> {
    let incident = &event.incident;
    let handle = ctx
        .services
        .incident(&event.incident_id, &incident.tenant_id)?;
    // The live metadata: the source thread (merged after the start, so not in the event's
    // snapshot) and what an earlier attempt already made.
    let metadata = handle.get().await?.incident.metadata;
    let source =
        match event.source {
            // Declared with `/incident`: no message to react to or answer under.
            Source::Slack if metadata.contains_key(keys::SOURCE_COMMAND_CHANNEL) => None,
            Source::Slack => Some(SourceMessage::of(&metadata).ok_or_else(|| {
                EffectError::retryable("the declaring message is not recorded yet")
            })?),
            Source::Dashboard => None,
        };
    let api = &workspace.api;
    let retrying = metadata.contains_key(keys::CHANNEL);
    let channel = match (
        metadata.get(keys::CHANNEL),
        metadata.get(keys::CHANNEL_NAME),
    ) {
        (Some(id), Some(name)) => Created {
            id: id.clone(),
            name: name.clone(),
        },
        _ => {
            let index = index_database(ctx)?;
            // A retried announcement names the channel as the first attempt did.
            let earlier = channel_claims::earlier_claim(
                index.as_ref(),
                &workspace.installation.team_id,
                &incident.id,
            )
            .await
            .map_err(|e| EffectError::retryable(format!("slack channel name claim: {e}")))?;
            let names = match earlier {
                Some(plain) => ChannelNames::from_plain(&incident.id, &plain),
                None => ChannelNames::new(&incident.id, &incident.title, incident.created_at),
            };
            let creator = channel::Creator {
                incident_id: &incident.id,
                team_id: &workspace.installation.team_id,
                bot_user_id: &workspace.installation.bot_user_id,
                claims: index.as_ref(),
            };
            let created = channel::create(api, &names, &creator).await?;
            remember_channel(ctx, &handle, event, &created, source.as_ref()).await?;
            created
        }
    };
    let people: Vec<&str> = [
        incident.assignee.as_deref(),
        Some(incident.created_by.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    channel::invite(
        api,
        &channel.id,
        &people,
        &workspace.installation.bot_user_id,
    )
    .await?;

    let card = IncidentCard {
        incident,
        event_id: event.event_id,
        assignee_slack_id: slack_assignee(incident),
        channel_id: Some(&channel.id),
    };
    let announcement = blocks::announcement(card, event.event_id);
    if !metadata.contains_key(keys::ANNOUNCEMENT_TS) {
        let place = Place::channel(&channel.id);
        let ts = post_once(api, place, &announcement, retrying).await?;
        let pin = json!({ "channel": channel.id, "timestamp": ts });
        api.call_allowing("pins.add", &pin, &["already_pinned"])
            .await?;
        merge(&handle, [(keys::ANNOUNCEMENT_TS, ts)]).await?;
    }
    if let Some(source) = source.filter(|_| !metadata.contains_key(keys::SOURCE_REPLY_TS)) {
        let fire = json!({ "channel": source.channel, "timestamp": source.ts, "name": "fire" });
        if let Err(e) = api
            .call_allowing("reactions.add", &fire, &["already_reacted"])
            .await
        {
            // A courtesy: a deleted mention or a missing scope must not stop the answer.
            sluice::log::info(&format!("slack: reaction skipped: {e}"));
        }
        // A high-severity incident is shown in the channel it was declared in, not only in
        // the thread.
        let place = Place::thread(&source.channel, &source.thread_ts)
            .broadcast_if(incident.severity == Severity::High);
        let ts = post_once(api, place, &announcement, retrying).await?;
        merge(&handle, [(keys::SOURCE_REPLY_TS, ts)]).await?;
    }
    broadcast::announce_if_high(
        workspace,
        &handle,
        incident,
        event.event_id,
        &channel.id,
        &metadata,
    )
    .await
}

/// Records the new channel on the incident and in the index, so messages written there reach
/// its timeline and a retry reuses it.
async fn remember_channel(
    ctx: &SendContext,
    handle: &IncidentHandle,
    event: &IncidentEvent<IncidentCreated>,
    channel: &Created,
    source: Option<&SourceMessage>,
) -> Result<(), EffectError> {
    merge(
        handle,
        [
            (keys::CHANNEL, channel.id.clone()),
            (keys::CHANNEL_NAME, channel.name.clone()),
        ],
    )
    .await?;
    // The index row may not exist yet (the dashboard sender runs concurrently): write it from
    // this event's snapshot first; the upsert only ever moves a row forward.
    index::upsert(ctx, &event.incident, event.event_id).await?;
    let mut identifiers = vec![channel_identifier(&channel.id)];
    if let Some(source) = source {
        identifiers.push(thread_identifier(&source.channel, &source.thread_ts));
    }
    let db = index_database(ctx)?;
    identifiers::add(db.as_ref(), &event.incident_id, &identifiers)
        .await
        .map_err(|e| EffectError::retryable(format!("index identifiers: {e}")))
}

fn index_database(ctx: &SendContext) -> Result<Rc<dyn Database>, EffectError> {
    ctx.services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::non_retryable(e.message))
}

async fn merge<const N: usize>(
    handle: &IncidentHandle,
    entries: [(&str, String); N],
) -> Result<(), EffectError> {
    let entries = entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    handle.merge_metadata(entries).await?;
    Ok(())
}
