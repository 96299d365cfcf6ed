//! The webhook's retry policy, overridden without touching its `#[sender]` attribute (see
//! `retry-policies.toml` beside this crate's `Cargo.toml`).
//!
//! Effective policy = the attribute, then an override of the whole sender (`"webhook"`), then
//! an override of one handler (`"webhook.order_shipped"`) or `#[step]` by its name.
//!
//! The file belongs to this crate: it applies wherever the crate is linked and nowhere else,
//! and its names are checked against what this crate registers.

sluice::retry_policies!(
    file = "retry-policies.toml",
    env = "ORDER_NOTIFY_RETRY_POLICIES"
);
