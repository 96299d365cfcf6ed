//! Native implementations of the runtime's ports, for tests: an in-process SQLite behind the
//! storage ports (so the very SQL that runs on Cloudflare runs under `cargo test`) and a
//! deterministic stand-in for the Workflows engine.

mod host;
mod sqlite;

pub use host::{InjectedCrash, NativeServices, NativeStep, StepRecord};
pub use sqlite::{SqliteDatabase, SqliteStore};
