//! incidentd's workflow-as-code runtime for Cloudflare Workers.
//!
//! Layers, from the bottom:
//! - vocabulary: [`duration`], [`retry`] (Cloudflare's `step.do` config), [`error`];
//! - ports the application is written against: [`sql`] (Durable Object storage and D1),
//!   [`step`] (durable steps), [`workflow`] (services and workflow clients);
//! - engines: [`outbox`] (the Durable Object transactional outbox) and [`registry`];
//! - hosts: `cloudflare` (wasm32 only: `wasm_bindgen` bindings to the platform) and
//!   `native` (in-process SQLite, for tests).

pub mod duration;
pub mod error;
pub mod log;
pub mod outbox;
pub mod registry;
pub mod retry;
pub mod sql;
pub mod step;
pub mod workflow;

#[cfg(target_arch = "wasm32")]
pub mod cloudflare;

#[cfg(all(not(target_arch = "wasm32"), feature = "native-sqlite"))]
pub mod native;

pub use duration::Duration;
pub use error::{EffectError, Retry, StepError};
pub use retry::{Backoff, RetryPolicy, StepConfig};

/// A boxed, single-threaded future: Workers run one thread per isolate, so nothing is `Send`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// Re-exported for registration code.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
}
