//! incidentd's adapters, one folder per external party. Each has a `receiver` (validate,
//! authenticate and normalise input) and/or a `sender` (side effects, registered with the
//! runtime so the workflows fan out to it without naming it).

pub mod admin;
pub mod calendar;
pub mod dashboard;
pub mod http;
pub mod isolate_cache;
pub mod migrations;
pub mod slack;
pub mod status_page;
pub mod webhook;

// The product's retry-policy file (its senders' overrides; INCIDENTD_RETRY_POLICIES, set in
// .cargo/config.toml, may name another).
sluice::retry_policies!(
    file = "../retry-policies.toml",
    env = "INCIDENTD_RETRY_POLICIES"
);

/// Referring to this keeps the crate's object, and so its sender registrations, in the link.
#[inline(never)]
pub fn link() {}
