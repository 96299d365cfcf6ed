//! High-severity incidents reach beyond their own channel. When an incident is declared high,
//! or raised to high later, it is announced once in the tenant's announcement channel (the
//! installation's `announcement_channel` setting), linking the incident channel; later
//! changes re-render that message (`updates`). A mention declared in the announcement channel
//! itself needs no second message there: its thread copy is broadcast to the channel
//! (`reply_broadcast`) instead, as it is in any channel the incident was declared in.
//!
//! Once per incident: the message's ts is written back to the incident's metadata, and before
//! posting, the channel is searched for a broadcast of this incident made by any event (the
//! declaration and a raise can both get here, and an answer can be lost).

use crate::slack::incident_keys as keys;
use crate::slack::outbound::blocks::{self, part, IncidentCard};
use crate::slack::outbound::metadata::PostedFor;
use crate::slack::outbound::posting::{find_where, post_once, Place};
use crate::slack::outbound::workspace::Workspace;
use incidentd_core::{IncidentHandle, IncidentState, Severity};
use sluice::prelude::*;
use std::collections::BTreeMap;

/// Announces `incident` (as of `event_id`, whose channel is `channel`) in the tenant's
/// announcement channel if it is high and not announced there yet. `metadata` is the
/// incident's, as fresh as the caller has it.
pub(crate) async fn announce_if_high(
    workspace: &Workspace,
    handle: &IncidentHandle,
    incident: &IncidentState,
    event_id: i64,
    channel: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<(), EffectError> {
    if incident.severity != Severity::High || metadata.contains_key(keys::BROADCAST_TS) {
        return Ok(());
    }
    let Some(target) = workspace.installation.announcement_channel() else {
        return Ok(());
    };
    let declared_there = metadata.get(keys::SOURCE_CHANNEL) == Some(&target)
        && metadata.contains_key(keys::SOURCE_THREAD_TS);
    if declared_there {
        return Ok(()); // the thread copy is broadcast to that channel
    }
    let place = Place::channel(&target);
    let api = &workspace.api;
    let earlier = find_where(api, place, |p| is_broadcast_of(p, &incident.id))
        .await
        .map_err(|e| in_channel(&target, e.into()))?;
    let ts = match earlier {
        Some(ts) => ts,
        None => {
            let card = IncidentCard {
                incident,
                event_id,
                assignee_slack_id: crate::slack::outbound::updates::slack_assignee(incident),
                channel_id: Some(channel),
            };
            post_once(api, place, &blocks::broadcast(card, event_id), false)
                .await
                .map_err(|e| in_channel(&target, e))?
        }
    };
    let entries = BTreeMap::from([
        (keys::BROADCAST_CHANNEL.to_owned(), target),
        (keys::BROADCAST_TS.to_owned(), ts),
    ]);
    handle.merge_metadata(entries).await?;
    Ok(())
}

/// Names the channel in a failure: a refusal (`not_in_channel`, `channel_not_found`) is the
/// setting's to fix, and the failed effect should say which.
fn in_channel(target: &str, mut e: EffectError) -> EffectError {
    e.message = format!("announcement channel {target}: {}", e.message);
    e
}

/// Whether `posted` is this incident's broadcast, whichever event posted it.
fn is_broadcast_of(posted: &PostedFor, incident_id: &str) -> bool {
    posted.incident_id == incident_id && posted.part == part::BROADCAST
}
