//! Native implementations of the runtime's ports, for tests: an in-process SQLite behind the
//! storage ports (so the very SQL that runs on Cloudflare runs under `cargo test`) and a
//! deterministic stand-in for the Workflows engine.

mod engine;
mod fake_slack;
mod handler_test;
mod host;
mod http;
mod recording_server;
mod sqlite;

pub use engine::{FaultRule, InstanceStatus, NativeWorkflows};
pub use fake_slack::{
    FakeChannel, FakeMessage, FakeSlack, Fault, SlackCall, FAKE_APP_ID, FAKE_BOT_ID,
    FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_OAUTH_CODE, FAKE_TEAM_ID,
};
pub use handler_test::{HandlerTest, TestEvent};
pub use host::{Advanced, InjectedCrash, NativeServices, NativeStep, StepRecord, Suspended};
pub use http::NativeHttp;
pub use recording_server::{group_by_header, RecordedRequest, RecordingServer, Scripted};
pub use sqlite::{SqliteDatabase, SqliteStore};
