//! The Slack integration's native foundation: verifying Slack's requests, parsing what Slack
//! sends, deciding what it means, building what incidentd posts, naming channels, and keeping
//! installation tokens encrypted. Pure functions over bytes and values; the routes and the
//! sender that use them live elsewhere (see docs/slack.md).

pub mod blocks;
pub mod channel_name;
pub mod classify;
pub mod commands;
pub mod events;
pub mod ids;
pub mod interactions;
pub mod metadata;
pub mod payload;
pub mod secret;
pub mod signature;
pub mod token_crypto;
