//! Posting exactly once. `chat.postMessage` has no idempotency key, so every post carries
//! [`PostedFor`] metadata, and when a post may already exist (an earlier attempt got that far,
//! or this attempt's answer never came) the conversation is searched for it first.

use crate::slack::outbound::api::{SlackApi, SlackCallError};
use crate::slack::outbound::blocks::SlackPost;
use crate::slack::outbound::metadata::PostedFor;
use serde_json::json;
use sluice::prelude::*;

/// Where a message goes: a channel, or a thread in it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place<'a> {
    pub channel: &'a str,
    pub thread_ts: Option<&'a str>,
    /// A thread reply also shown in the channel (`reply_broadcast`).
    pub broadcast: bool,
}

impl<'a> Place<'a> {
    pub(crate) fn channel(channel: &'a str) -> Place<'a> {
        Place {
            channel,
            thread_ts: None,
            broadcast: false,
        }
    }

    pub(crate) fn thread(channel: &'a str, thread_ts: &'a str) -> Place<'a> {
        Place {
            channel,
            thread_ts: Some(thread_ts),
            broadcast: false,
        }
    }

    /// This thread reply shown in the channel too, when `broadcast`.
    pub(crate) fn broadcast_if(self, broadcast: bool) -> Place<'a> {
        Place { broadcast, ..self }
    }
}

/// The ts of the first message in `place` whose metadata `matches`, if any.
pub(crate) async fn find_where(
    api: &SlackApi,
    place: Place<'_>,
    matches: impl Fn(&PostedFor) -> bool,
) -> Result<Option<String>, SlackCallError> {
    // Recent messages suffice: the lookup runs right after the attempt that might have posted.
    let answer = match place.thread_ts {
        None => {
            let args =
                json!({ "channel": place.channel, "include_all_metadata": true, "limit": 100 });
            api.call("conversations.history", &args).await?
        }
        Some(thread_ts) => {
            let args = json!({ "channel": place.channel, "ts": thread_ts, "include_all_metadata": true, "limit": 200 });
            api.call("conversations.replies", &args).await?
        }
    };
    Ok(PostedFor::find_matching(&answer, matches))
}

/// The ts of the message `posted_for` already in `place`, if any.
pub(crate) async fn find(
    api: &SlackApi,
    place: Place<'_>,
    posted_for: &PostedFor,
) -> Result<Option<String>, SlackCallError> {
    find_where(api, place, |p| p == posted_for).await
}

/// Posts `post` in `place` unless it is there already; returns its ts. `may_exist` says an
/// earlier attempt may have posted it.
pub(crate) async fn post_once(
    api: &SlackApi,
    place: Place<'_>,
    post: &SlackPost,
    may_exist: bool,
) -> Result<String, EffectError> {
    if may_exist {
        if let Some(ts) = find(api, place, &post.posted_for).await? {
            return Ok(ts);
        }
    }
    let mut args = post.post_args(place.channel, place.thread_ts);
    if place.broadcast && place.thread_ts.is_some() {
        args["reply_broadcast"] = true.into();
    }
    match api.call("chat.postMessage", &args).await {
        Ok(answer) => answer["ts"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| EffectError::retryable("chat.postMessage: no ts in the answer")),
        // Timed out or 5xx: the message may have been posted all the same.
        Err(SlackCallError::Unanswered(unanswered)) => {
            match find(api, place, &post.posted_for).await {
                Ok(Some(ts)) => Ok(ts),
                _ => Err(unanswered),
            }
        }
        Err(refused) => Err(refused.into()),
    }
}
