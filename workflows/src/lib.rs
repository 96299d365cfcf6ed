//! The four incidentd workflows, each declared with `#[workflow]`; the generated JS entry
//! exports one Cloudflare Workflow class per registration.
//!
//! Data flow: the Incident Durable Object's outbox → [`incident`] (`IncidentWorkflow`) → the
//! runtime's fan-out → the senders and dispatchers registered by `incidentd-adapters`.

pub mod agent_turn;
pub mod ai;
pub mod analysis;
pub mod incident;
pub mod prompt;

// The adapters register their senders; linking them here makes every registration visible
// wherever the workflows are (the worker, the manifest binary, tests).
pub use incidentd_adapters as adapters;

/// Referring to this from the final binary keeps this crate, and so its registrations, in the
/// link (see `incidentd::LINK_WORKFLOWS`). Never inlined: an inlined copy would satisfy the
/// reference without pulling in this crate's object, and its constructors with it.
#[inline(never)]
pub fn link() {
    incidentd_adapters::link();
}
