//! The webhook's retry policy, overridden without touching its `#[sender]` attribute: the
//! shop's endpoint is sometimes down for a deploy, so keep trying for longer than the
//! attribute's 3 retries, but never wait more than 30 seconds between two tries.
//!
//! Effective policy = the attribute, then an override of the whole sender (`"webhook"`), then
//! an override of one handler (`"webhook.order_shipped"`) or `#[step]` by its name.
//!
//! The override is registered in code, in this crate, so it applies wherever the crate is
//! linked and nowhere else. (The framework also embeds a workspace-wide TOML file, named in
//! `.cargo/config.toml`, at build time: an application of its own would not share that
//! file with other crates of the workspace.)

use sluice::__private::{inventory, PolicyOverride};

/// Retries the webhook 8 times (not 3), at most 30 seconds apart.
pub const WEBHOOK: PolicyOverride = PolicyOverride {
    name: "webhook",
    limit: Some(8),
    delay_ms: None,
    backoff: None,
    max_delay_ms: Some(30_000),
    timeout_ms: None,
};

inventory::submit! { WEBHOOK }
