//! The incident's channel: created under a deterministic name (plain, then suffixed with the
//! incident's own hash on `name_taken`), and the people to bring in.

use super::api::{SlackApi, SlackCallError};
use super::channel_name::ChannelNames;
use incidentd_runtime::prelude::*;
use serde_json::json;

/// A created channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub name: String,
}

pub async fn create(api: &SlackApi, names: &ChannelNames) -> Result<Created, EffectError> {
    for name in [&names.plain, &names.suffixed] {
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
            Err(e) if e.is_code("name_taken") => continue,
            Err(e) => return Err(e.into()),
        }
    }
    // The suffixed name is this incident's own: an earlier attempt created it and its id was
    // lost. Finding it by name needs `conversations.list` (not wired yet).
    Err(EffectError::non_retryable(format!(
        "conversations.create: {} and {} are both taken",
        names.plain, names.suffixed
    )))
}

/// Whether `id` is a Slack user id (`U…`/`W…`): incidents also carry dashboard user ids.
pub fn is_slack_user(id: &str) -> bool {
    id.len() >= 2
        && id.starts_with(['U', 'W'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Invites `users` (those that are Slack ids, other than the bot). A refusal (a deactivated
/// user, say) is logged and skipped: the channel is useful without them.
pub async fn invite(
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
            incidentd_runtime::log::info(&format!("slack: invite skipped: {refused}"));
            Ok(())
        }
    }
}
