//! The deployable incidentd worker: the HTTP router and handlers, and the Incident Durable
//! Object class. Everything here is platform glue over `incidentd-core` (the domain),
//! `incidentd-adapters` (receivers and senders) and `incidentd-workflows`; it only compiles to
//! wasm32. The generated `js/entry.mjs` adds the Workflow classes on top of this build.

#[cfg(target_arch = "wasm32")]
mod admin_routes;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod incident_object;
#[cfg(target_arch = "wasm32")]
mod router;
#[cfg(target_arch = "wasm32")]
mod slack_install_routes;
#[cfg(target_arch = "wasm32")]
mod slack_routes;
#[cfg(target_arch = "wasm32")]
mod status_routes;

/// The Worker secret that signs dashboard API requests.
pub const SIGNING_SECRET: &str = "DASHBOARD_SIGNING_SECRET";

/// Registrations are constructors in the workflows and adapters crates; the linker only keeps
/// a crate that code refers to (a `pub use` is not enough), so refer to it here.
#[used]
static LINK_WORKFLOWS: fn() = incidentd_workflows::link;
