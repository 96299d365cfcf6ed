//! Native implementations of the runtime's ports, for tests: an in-process SQLite behind the
//! storage ports (so the very SQL that runs on Cloudflare runs under `cargo test`), a
//! deterministic stand-in for the Workflows engine, and a recording HTTP server on 127.0.0.1
//! that fakes of external services are built on.

mod engine;
mod handler_test;
mod host;
mod http;
mod recording_server;
mod sqlite;

pub use engine::{FaultRule, InstanceHook, InstanceStatus, LostAnswerRule, NativeWorkflows};
pub use handler_test::{HandlerTest, TestEvent};
pub use host::{
    Advanced, CrashPoint, CrashRule, InjectedCrash, NativeServices, NativeStep, StepRecord,
    VirtualClock,
};
pub use http::NativeHttp;
pub use recording_server::{group_by_header, RecordedRequest, RecordingServer, Scripted};
pub use sqlite::{SqliteDatabase, SqliteStore};
