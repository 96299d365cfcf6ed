//! The Slack integration (see docs/slack.md), by direction:
//! - [`inbound`]: what Slack (and the operator) sends us: request signatures, the bodies of the
//!   Events API, interactivity and slash commands, what they mean, and the receivers that act
//!   on them; the OAuth install and the operator's installation routes.
//! - [`outbound`]: what incidentd sends Slack: the Web API client held to Slack's published
//!   contract, Block Kit messages, channels, posting exactly once, and the sender that turns
//!   incident events into Slack effects.
//!
//! What both sides share stays here: configuration, the incident metadata keys, installations
//! and their encrypted tokens. The ids of incidentd's controls, the v0 request signature and the
//! token wrapper `Secret` are the wire crate's (`incidentd_wire::{slack_ids, slack_signing,
//! secret}`), shared with `incidentctl`.

pub mod config;
pub mod inbound;
pub mod incident_keys;
pub mod installation;
pub mod outbound;
pub mod token_crypto;
