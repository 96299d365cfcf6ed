//! What an Events API event means for incidents, decided purely: the caller says which
//! conversations belong to incidents (`IncidentLookup`) and who the bot is ([`BotIdentity`]).
//!
//! | event | where | meaning |
//! | --- | --- | --- |
//! | `app_mention` by a person | not an incident's channel or thread | `Classified::Declare` |
//! | `app_mention` by a person | an incident's channel, or its thread | `Classified::Prompt` |
//! | `message` by a person, no subtype | an incident's channel, or its thread | `Classified::Record` |
//! | anything by a bot (ours included), any subtype, other events | | `Classified::Ignore` |
//!
//! A mention arrives twice when `message.channels` is subscribed too (as `app_mention` and as
//! `message`, in no fixed order, with different `event_id`s): in an incident channel it is
//! both a prompt and a timeline message, and `MessageKey` makes recording it idempotent.

use crate::slack::inbound::events::{Event, EventCallback, MessageEvent, ThreadPosition};
use std::collections::HashMap;

/// Who the bot is in this workspace (from the installation), so it ignores itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BotIdentity {
    /// `bot_user_id` of the OAuth answer (`U…`).
    pub user_id: String,
    /// The `bot_id` its messages carry (`B…`), when known.
    pub bot_id: Option<String>,
}

/// Which conversations belong to incidents. Kept synchronous so classification stays pure:
/// look the keys up first ([`channel_identifier`], [`thread_identifier`]), then classify.
pub(crate) trait IncidentLookup {
    /// The incident whose dedicated channel is `channel`.
    fn by_channel(&self, channel: &str) -> Option<String>;
    /// The incident announced in the thread `thread_ts` of `channel` (the thread under the
    /// mention that declared it, in the channel it was declared from).
    fn by_thread(&self, channel: &str, thread_ts: &str) -> Option<String>;
}

/// The index identifier of an incident's channel (`slack-channel:C123`).
pub fn channel_identifier(channel: &str) -> String {
    format!("slack-channel:{channel}")
}

/// The index identifier of the thread an incident was declared in (`slack-thread:C123:<ts>`).
pub(crate) fn thread_identifier(channel: &str, thread_ts: &str) -> String {
    format!("slack-thread:{channel}:{thread_ts}")
}

/// An [`IncidentLookup`] from known identifiers (say, the rows the index returned).
#[derive(Clone, Debug, Default)]
pub(crate) struct KnownIncidents {
    by_identifier: HashMap<String, String>,
}

impl KnownIncidents {
    /// `identifier` ([`channel_identifier`] or [`thread_identifier`]) belongs to `incident_id`.
    pub(crate) fn with(
        mut self,
        identifier: impl Into<String>,
        incident_id: impl Into<String>,
    ) -> Self {
        self.by_identifier
            .insert(identifier.into(), incident_id.into());
        self
    }
}

impl IncidentLookup for KnownIncidents {
    fn by_channel(&self, channel: &str) -> Option<String> {
        self.by_identifier
            .get(&channel_identifier(channel))
            .cloned()
    }

    fn by_thread(&self, channel: &str, thread_ts: &str) -> Option<String> {
        self.by_identifier
            .get(&thread_identifier(channel, thread_ts))
            .cloned()
    }
}

/// A Slack message's identity (`<channel>:<ts>`): the dedupe key of what it causes, whatever
/// event or retry delivered it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MessageKey(pub String);

impl MessageKey {
    pub(crate) fn of(channel: &str, ts: &str) -> Self {
        MessageKey(format!("{channel}:{ts}"))
    }
}

/// Where a message was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SlackMessage {
    pub user: String,
    pub channel: String,
    pub ts: String,
    /// The thread to answer in: the message's thread, or the message itself when top level.
    pub reply_thread_ts: String,
    pub key: MessageKey,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    /// Declare an incident; `prompt` is the mention's text without `<@…>` mentions, trimmed.
    Declare {
        prompt: String,
        message: SlackMessage,
    },
    /// A person asked the bot something about an incident (`prompt` without mentions, never
    /// empty).
    Prompt {
        incident_id: String,
        prompt: String,
        message: SlackMessage,
    },
    /// A person wrote in an incident's conversation: record it on the timeline.
    Record {
        incident_id: String,
        text: String,
        message: SlackMessage,
    },
    Ignore(IgnoreReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// Written by the bot itself: handling it would loop.
    OwnMessage,
    /// Written by another app or bot.
    Bot,
    /// Joins, edits, deletions, file shares, broadcasts: not a person's new message.
    Subtype(String),
    /// No author (system messages).
    NoUser,
    /// A mention with nothing but mentions in it (the message itself is still recorded when
    /// it arrives as a `message` in an incident's conversation).
    EmptyMention,
    /// A message in a conversation no incident owns.
    NotAnIncidentConversation,
    /// Not an `app_mention` or `message`.
    UnhandledEvent,
}

/// What `callback`'s event means for incidents.
pub(crate) fn classify(
    callback: &EventCallback,
    bot: &BotIdentity,
    incidents: &impl IncidentLookup,
) -> Classified {
    let (event, is_mention) = match &callback.event {
        Event::AppMention(event) => (event, true),
        Event::Message(event) => (event, false),
        // The installation's own events are the receiver's, before any classifying.
        Event::AppUninstalled | Event::TokensRevoked(_) | Event::Other => {
            return Classified::Ignore(IgnoreReason::UnhandledEvent)
        }
    };
    let user = match authored_by_a_person(event, bot) {
        Ok(user) => user,
        Err(reason) => return Classified::Ignore(reason),
    };
    let incident = incident_of(event, incidents);
    let message = SlackMessage {
        user: user.to_owned(),
        channel: event.channel.clone(),
        ts: event.ts.clone(),
        reply_thread_ts: event.thread_ts.clone().unwrap_or_else(|| event.ts.clone()),
        key: MessageKey::of(&event.channel, &event.ts),
    };
    let prompt = || Some(without_mentions(&event.text)).filter(|p| !p.is_empty());
    match (is_mention, incident) {
        (true, Some(incident_id)) => match prompt() {
            Some(prompt) => Classified::Prompt {
                incident_id,
                prompt,
                message,
            },
            None => Classified::Ignore(IgnoreReason::EmptyMention),
        },
        (true, None) => match prompt() {
            Some(prompt) => Classified::Declare { prompt, message },
            None => Classified::Ignore(IgnoreReason::EmptyMention),
        },
        (false, Some(incident_id)) => Classified::Record {
            incident_id,
            text: event.text.clone(),
            message,
        },
        (false, None) => Classified::Ignore(IgnoreReason::NotAnIncidentConversation),
    }
}

/// The author, when the event is a person's new message.
fn authored_by_a_person<'e>(
    event: &'e MessageEvent,
    bot: &BotIdentity,
) -> Result<&'e str, IgnoreReason> {
    let ours = event.user.as_deref() == Some(bot.user_id.as_str())
        || (event.bot_id.is_some() && event.bot_id == bot.bot_id);
    if ours {
        return Err(IgnoreReason::OwnMessage);
    }
    if event.bot_id.is_some() {
        return Err(IgnoreReason::Bot);
    }
    if let Some(subtype) = &event.subtype {
        return Err(IgnoreReason::Subtype(subtype.as_str().to_owned()));
    }
    event.user.as_deref().ok_or(IgnoreReason::NoUser)
}

/// The incident owning the message's channel, else the thread it is in.
fn incident_of(event: &MessageEvent, incidents: &impl IncidentLookup) -> Option<String> {
    incidents.by_channel(&event.channel).or_else(|| {
        let thread_ts = match event.thread_position() {
            ThreadPosition::TopLevel => return None,
            ThreadPosition::Parent => &event.ts,
            ThreadPosition::Reply { thread_ts } => thread_ts,
        };
        incidents.by_thread(&event.channel, thread_ts)
    })
}

/// `text` without user mentions (`<@U123>`, `<@U123|name>`), trimmed.
pub(crate) fn without_mentions(text: &str) -> String {
    let mut rest = text;
    let mut kept = String::new();
    while let Some(start) = rest.find("<@") {
        kept.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    kept.push_str(rest);
    kept.trim().to_owned()
}

#[cfg(test)]
mod tests;
