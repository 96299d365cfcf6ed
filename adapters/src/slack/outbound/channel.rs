//! The incident's channel: created under a deterministic name, and the people to bring in.
//!
//! Creating a channel is not idempotent and its answer can be lost, so the name says whose a
//! channel is. The readable name goes to the incident that claimed it first
//! ([`channel_claims`]); the others, and a claimant that finds a person's channel under it,
//! take the suffixed name, which is the incident's own. After `name_taken` on a name that is
//! the incident's, a channel under it that the bot created is an earlier attempt's whose
//! answer was lost: it is looked up by name and adopted, never created twice.

use crate::slack::outbound::api::{SlackApi, SlackCallError};
use crate::slack::outbound::channel_claims;
use crate::slack::outbound::channel_name::ChannelNames;
use serde_json::json;
use sluice::prelude::*;
use sluice::sql::Database;

/// A created (or adopted) channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Created {
    pub id: String,
    pub name: String,
}

/// Who is creating: the incident, and the workspace whose names it claims.
pub(crate) struct Creator<'a> {
    pub incident_id: &'a str,
    pub team_id: &'a str,
    pub bot_user_id: &'a str,
    /// Where claims are kept (the index database).
    pub claims: &'a dyn Database,
}

/// `conversations.list` page size (Slack recommends at most 200).
const LIST_PAGE: u32 = 200;
/// Pages read before giving up on finding a channel by name (50,000 public channels).
const LIST_PAGES_MAX: usize = 250;

pub(crate) async fn create(
    api: &SlackApi,
    names: &ChannelNames,
    creator: &Creator<'_>,
) -> Result<Created, EffectError> {
    let plain_is_ours = channel_claims::claim(
        creator.claims,
        creator.team_id,
        &names.plain,
        creator.incident_id,
    )
    .await
    .map_err(|e| EffectError::retryable(format!("slack channel name claim: {e}")))?;
    let ours = if plain_is_ours {
        vec![&names.plain, &names.suffixed]
    } else {
        vec![&names.suffixed]
    };
    for name in ours {
        let args = json!({ "name": name, "is_private": false });
        match api.call("conversations.create", &args).await {
            Ok(answer) => {
                let id = answer["channel"]["id"].as_str().ok_or_else(|| {
                    EffectError::retryable("conversations.create: no channel id in the answer")
                })?;
                return Ok(Created {
                    id: id.to_owned(),
                    name: name.clone(),
                });
            }
            Err(e) if e.is_code("name_taken") => {
                if let Some(id) = bots_channel_named(api, name, creator.bot_user_id).await? {
                    return Ok(Created {
                        id,
                        name: name.clone(),
                    });
                }
                // A person's channel (or one archived long ago under a reused name).
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(EffectError::non_retryable(format!(
        "conversations.create: {} is held by a channel incidentd did not create",
        names.suffixed
    )))
}

/// The id of the public channel called `name` if the bot created it. Names are unique in a
/// workspace (archived channels keep theirs), so the first match is the only one.
async fn bots_channel_named(
    api: &SlackApi,
    name: &str,
    bot_user_id: &str,
) -> Result<Option<String>, EffectError> {
    let mut cursor = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let args = json!({
            "types": "public_channel",
            "exclude_archived": false,
            "limit": LIST_PAGE,
            "cursor": cursor,
        });
        let page = api.call("conversations.list", &args).await?;
        let channels = page["channels"].as_array().map_or(&[][..], Vec::as_slice);
        if let Some(channel) = channels.iter().find(|c| c["name"] == name) {
            return Ok(channel["id"]
                .as_str()
                .filter(|_| channel["creator"] == bot_user_id)
                .map(str::to_owned));
        }
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if cursor.is_empty() {
            return Ok(None);
        }
    }
    Err(EffectError::non_retryable(format!(
        "conversations.list: #{name} not found in {} channels",
        LIST_PAGES_MAX * LIST_PAGE as usize
    )))
}

/// Whether `id` is a Slack user id (`U…`/`W…`): incidents also carry dashboard user ids.
pub(crate) fn is_slack_user(id: &str) -> bool {
    id.len() >= 2
        && id.starts_with(['U', 'W'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Invites `users` (those that are Slack ids, other than the bot). A refusal (a deactivated
/// user, say) is logged and skipped: the channel is useful without them.
pub(crate) async fn invite(
    api: &SlackApi,
    channel: &str,
    users: &[&str],
    bot_user_id: &str,
) -> Result<(), EffectError> {
    let mut wanted: Vec<&str> = users
        .iter()
        .copied()
        .filter(|u| is_slack_user(u) && *u != bot_user_id)
        .collect();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let args = json!({ "channel": channel, "users": wanted.join(",") });
    match api
        .call_allowing("conversations.invite", &args, &["already_in_channel"])
        .await
    {
        Ok(()) => Ok(()),
        Err(SlackCallError::Unanswered(e)) => Err(e),
        Err(refused) => {
            sluice::log::info(&format!("slack: invite skipped: {refused}"));
            Ok(())
        }
    }
}
