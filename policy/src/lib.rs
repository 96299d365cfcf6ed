//! Retry policies of workflow steps, senders and dispatchers, free of dependencies: the
//! attribute macros parse their options with it at expansion time, the runtime's build script
//! validates `retry-policies.toml` with it, and the runtime re-exports its types. One parser per
//! field ([`field`]), so an attribute and the file accept and reject exactly the same values.

// The framework's public API is documented for users who never read its source.
#![deny(missing_docs)]

pub mod duration;
pub mod field;
pub mod file;
pub mod patch;
pub mod retry;
pub mod suggest;
pub mod value;

pub use duration::{Duration, DurationError, DURATION_FORM};
pub use patch::PolicyPatch;
pub use retry::{Backoff, RetryPolicy, StepConfig};
pub use value::Value;
