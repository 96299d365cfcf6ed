//! The Slack integration's native foundation: verifying Slack's requests, parsing what Slack
//! sends, deciding what it means, building what incidentd posts, naming channels, and keeping
//! installation tokens encrypted; the installation store and the OAuth install, the logic of the three receivers
//! (events, interactivity, slash commands), the Web API client (held to Slack's published
//! contract, `contract`) and the Slack sender (see docs/slack.md).

pub mod admin;
pub mod analysis_post;
pub mod announce;
pub mod api;
pub mod blocks;
pub mod broadcast;
pub mod channel;
pub mod channel_claims;
pub mod channel_name;
pub mod classify;
pub mod command_receiver;
pub mod commands;
pub mod config;
pub mod contract;
pub mod events;
pub mod ids;
pub mod inbound;
pub mod incident_keys;
pub mod installation;
pub mod interaction_receiver;
pub mod interactions;
pub mod metadata;
pub mod oauth;
pub mod payload;
pub mod posting;
pub mod receiver;
pub mod secret;
pub mod sender;
pub mod signature;
pub mod suggestion_actions;
pub mod suggestions;
pub mod thread_reply;
pub mod token_crypto;
pub mod updates;
pub mod workspace;
