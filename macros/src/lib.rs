//! Attribute macros of the incidentd framework: `#[step]`, `#[sender]`, `#[dispatcher]` and
//! `#[workflow]`, which parse and validate their options with spans and emit registrations
//! through `incidentd_runtime::__private`. Not implemented yet: until then, workflows and
//! senders register with `inventory::submit!` directly (see `workflows/src/lib.rs`).
