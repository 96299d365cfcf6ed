//! The Slack integration's native foundation: verifying Slack's requests, parsing what Slack
//! sends, deciding what it means, building what incidentd posts, naming channels, and keeping
//! installation tokens encrypted; the installation store and the operator's connect request
//! (see docs/slack.md).

pub mod admin;
pub mod blocks;
pub mod channel_name;
pub mod classify;
pub mod commands;
pub mod config;
pub mod events;
pub mod ids;
pub mod installation;
pub mod interactions;
pub mod metadata;
pub mod payload;
pub mod secret;
pub mod signature;
pub mod token_crypto;
