//! The incident metadata keys the Slack integration writes (through
//! `IncidentHandle::merge_metadata`; never secrets). The receiver records where an incident
//! was declared; the sender records what it created, which also tells a retried step what is
//! already done.

/// The channel of the mention that declared the incident.
pub const SOURCE_CHANNEL: &str = "slack_source_channel";
/// The mention's ts (what gets the `fire` reaction).
pub const SOURCE_TS: &str = "slack_source_ts";
/// The thread to answer in: the mention's thread, or the mention itself.
pub const SOURCE_THREAD_TS: &str = "slack_source_thread_ts";
/// The channel `/incident <title>` was typed in (a command leaves no message to answer).
pub const SOURCE_COMMAND_CHANNEL: &str = "slack_source_command_channel";
/// The incident's own channel.
pub const CHANNEL: &str = "slack_channel";
pub const CHANNEL_NAME: &str = "slack_channel_name";
/// The pinned announcement in the incident channel.
pub const ANNOUNCEMENT_TS: &str = "slack_announcement_ts";
/// The reply in the declaring thread that links the channel.
pub const SOURCE_REPLY_TS: &str = "slack_source_reply_ts";
/// The tenant's announcement channel a high-severity incident was broadcast in, and the
/// broadcast's ts (once per incident).
pub const BROADCAST_CHANNEL: &str = "slack_broadcast_channel";
pub const BROADCAST_TS: &str = "slack_broadcast_ts";
