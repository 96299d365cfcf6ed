//! Events API bodies (`POST /slack/events`, JSON): the envelope, the inner events incidentd
//! uses (`app_mention`, `message` with its subtypes; `app_uninstalled` and `tokens_revoked`,
//! which disable the installation), and Slack's retry headers. Parsing only; what a message
//! means for incidents is [`crate::slack::inbound::classify`].

use crate::slack::inbound::payload::{self, PayloadError};
use serde::{Deserialize, Deserializer};

/// One Events API request body.
#[derive(Clone, Debug, PartialEq)]
pub enum EventsBody {
    /// Sent when the Request URL is set: answer 200 with the challenge.
    UrlVerification {
        challenge: String,
    },
    EventCallback(Box<EventCallback>),
    /// Slack dropped deliveries for a minute (over 30,000 events an hour).
    AppRateLimited {
        team_id: String,
        api_app_id: String,
        minute_rate_limited: i64,
    },
    /// A type incidentd does not know: answer 200, do nothing.
    Unknown,
}

impl EventsBody {
    pub fn parse(body: &[u8]) -> Result<EventsBody, PayloadError> {
        payload::by_type(body, |kind, body| {
            Ok(match kind {
                "url_verification" => {
                    let UrlVerification { challenge } = serde_json::from_slice(body)?;
                    EventsBody::UrlVerification { challenge }
                }
                "event_callback" => EventsBody::EventCallback(serde_json::from_slice(body)?),
                "app_rate_limited" => {
                    let AppRateLimited {
                        team_id,
                        api_app_id,
                        minute_rate_limited,
                    } = serde_json::from_slice(body)?;
                    EventsBody::AppRateLimited {
                        team_id,
                        api_app_id,
                        minute_rate_limited,
                    }
                }
                _ => EventsBody::Unknown,
            })
        })
        .map_err(PayloadError::from)
    }
}

// The fields of the envelopes that carry no event, as they are read (see `payload::by_type`).
#[derive(Deserialize)]
struct UrlVerification {
    challenge: String,
}

#[derive(Deserialize)]
struct AppRateLimited {
    team_id: String,
    api_app_id: String,
    minute_rate_limited: i64,
}

/// The `event_callback` envelope.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EventCallback {
    /// The workspace; absent on some org-wide (Enterprise Grid) deliveries, see
    /// [`EventCallback::team`].
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    pub api_app_id: String,
    /// Unique per event; repeated on Slack's retries of it.
    pub event_id: String,
    /// Unix seconds.
    pub event_time: i64,
    #[serde(default)]
    pub authorizations: Vec<Authorization>,
    #[serde(default)]
    pub is_ext_shared_channel: bool,
    #[serde(deserialize_with = "Event::deserialize_by_type")]
    pub event: Event,
}

impl EventCallback {
    /// The workspace the event happened in: the envelope's, else the inner event's.
    pub fn team(&self) -> Option<&str> {
        self.team_id.as_deref().or(match &self.event {
            Event::AppMention(m) | Event::Message(m) => m.team.as_deref(),
            Event::AppUninstalled | Event::TokensRevoked(_) | Event::Other => None,
        })
    }

    /// Whether the installation that sees the event is org-wide.
    pub fn is_enterprise_install(&self) -> bool {
        self.authorizations
            .first()
            .is_some_and(|a| a.is_enterprise_install)
    }
}

/// The one installation Slack names as able to see the event.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Authorization {
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    pub user_id: String,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub is_enterprise_install: bool,
}

/// The inner event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    AppMention(MessageEvent),
    Message(MessageEvent),
    /// The app was removed from the workspace (no other field: the envelope's `team_id`
    /// names the workspace). Slack also sends `tokens_revoked`, in either order.
    AppUninstalled,
    TokensRevoked(TokensRevoked),
    Other,
}

impl Event {
    /// The envelope's `event`, kept as its text and then read by its `type`.
    fn deserialize_by_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        payload::by_type(raw.get().as_bytes(), |kind, json| {
            Ok(match kind {
                "app_mention" => Event::AppMention(serde_json::from_slice(json)?),
                "message" => Event::Message(serde_json::from_slice(json)?),
                "app_uninstalled" => Event::AppUninstalled,
                "tokens_revoked" => Event::TokensRevoked(serde_json::from_slice(json)?),
                _ => Event::Other,
            })
        })
        .map_err(serde::de::Error::custom)
    }
}

/// `tokens_revoked`: the user ids whose tokens no longer work, by kind (`oauth` for user
/// tokens, `bot` for bot users), never the tokens themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokensRevoked {
    #[serde(default)]
    pub tokens: RevokedTokens,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RevokedTokens {
    #[serde(default)]
    pub oauth: Vec<String>,
    #[serde(default)]
    pub bot: Vec<String>,
}

/// An `app_mention` or a `message`: the fields both carry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MessageEvent {
    pub channel: String,
    /// Unique within the channel: with `channel`, the message's identity.
    pub ts: String,
    /// Absent for bot and some system messages.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub thread_ts: Option<String>,
    /// The author of the thread's parent (on replies).
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub subtype: Option<MessageSubtype>,
    /// Set on messages posted by apps and bots (ours included).
    #[serde(default)]
    pub bot_id: Option<String>,
    /// `channel`, `group`, `im`, `mpim` or `app_home` (on `message` events).
    #[serde(default)]
    pub channel_type: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub event_ts: Option<String>,
}

/// Where a message sits in a conversation. Slack marks replies by `thread_ts != ts` (the
/// `message_replied` subtype never arrives through the Events API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadPosition<'a> {
    TopLevel,
    /// The first message of a thread.
    Parent,
    Reply {
        thread_ts: &'a str,
    },
}

impl MessageEvent {
    pub fn thread_position(&self) -> ThreadPosition<'_> {
        match self.thread_ts.as_deref() {
            None => ThreadPosition::TopLevel,
            Some(thread) if thread == self.ts => ThreadPosition::Parent,
            Some(thread_ts) => ThreadPosition::Reply { thread_ts },
        }
    }
}

/// `message` subtypes incidentd tells apart; the rest are kept by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageSubtype {
    BotMessage,
    MessageChanged,
    MessageDeleted,
    ThreadBroadcast,
    ChannelJoin,
    FileShare,
    Other(String),
}

impl MessageSubtype {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            MessageSubtype::BotMessage => "bot_message",
            MessageSubtype::MessageChanged => "message_changed",
            MessageSubtype::MessageDeleted => "message_deleted",
            MessageSubtype::ThreadBroadcast => "thread_broadcast",
            MessageSubtype::ChannelJoin => "channel_join",
            MessageSubtype::FileShare => "file_share",
            MessageSubtype::Other(name) => name,
        }
    }
}

impl<'de> Deserialize<'de> for MessageSubtype {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(deserializer)?.as_str() {
            "bot_message" => MessageSubtype::BotMessage,
            "message_changed" => MessageSubtype::MessageChanged,
            "message_deleted" => MessageSubtype::MessageDeleted,
            "thread_broadcast" => MessageSubtype::ThreadBroadcast,
            "channel_join" => MessageSubtype::ChannelJoin,
            "file_share" => MessageSubtype::FileShare,
            other => MessageSubtype::Other(other.to_owned()),
        })
    }
}

pub const HEADER_RETRY_NUM: &str = "x-slack-retry-num";
pub(crate) const HEADER_RETRY_REASON: &str = "x-slack-retry-reason";

/// Slack is redelivering an event (its first attempt failed or timed out). Do not drop it
/// for that: the first attempt may never have arrived. Dedupe on `event_id` and on the
/// message's channel and ts instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackRetry {
    /// 1, 2 or 3.
    pub num: u32,
    pub reason: RetryReason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryReason {
    HttpTimeout,
    TooManyRedirects,
    ConnectionFailed,
    SslError,
    HttpError,
    UnknownError,
    Other(String),
}

impl SlackRetry {
    /// From the request's headers (looked up by lowercase name); `None` on a first delivery
    /// or when the retry number is not a number.
    pub fn from_headers<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Option<SlackRetry> {
        let num = header(HEADER_RETRY_NUM)?.trim().parse().ok()?;
        let reason = match header(HEADER_RETRY_REASON).unwrap_or_default().trim() {
            "http_timeout" => RetryReason::HttpTimeout,
            "too_many_redirects" => RetryReason::TooManyRedirects,
            "connection_failed" => RetryReason::ConnectionFailed,
            "ssl_error" => RetryReason::SslError,
            "http_error" => RetryReason::HttpError,
            "unknown_error" => RetryReason::UnknownError,
            other => RetryReason::Other(other.to_owned()),
        };
        Some(SlackRetry { num, reason })
    }
}
