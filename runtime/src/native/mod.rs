//! Native implementations of the runtime's ports, for tests: an in-process SQLite behind the
//! storage ports (so the very SQL that runs on Cloudflare runs under `cargo test`), a
//! deterministic stand-in for the Workflows engine, and the project's fakes of external
//! services (a recording server, Slack, an OpenAI-compatible LLM), all on 127.0.0.1.

mod engine;
mod fake_llm;
mod fake_slack;
mod handler_test;
mod host;
mod http;
mod recording_server;
mod sqlite;

pub use engine::{FaultRule, InstanceHook, InstanceStatus, LostAnswerRule, NativeWorkflows};
pub use fake_llm::{
    check_body as check_chat_request, client_breaches, contract_table as openai_chat_contract,
    family_of, schema_name, FakeLlm, FakeLlmBuilder, FakeReply, Strictness, Violation, FAKE_MODEL,
};
pub use fake_slack::{
    submitted_view_state, AnsweredCall, ContractRule, ContractViolation, FakeChannel, FakeMessage,
    FakeSlack, Fault, SlackCall, SlackWarning, ViewInput, FAKE_ADMIN_USER_ID, FAKE_APP_ID,
    FAKE_BOT_ID, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FAKE_GENERAL_CHANNEL_ID, FAKE_OAUTH_CODE,
    FAKE_TEAM_ID, FAKE_USER_MESSAGE_METHOD,
};
pub use handler_test::{HandlerTest, TestEvent};
pub use host::{
    Advanced, CrashPoint, CrashRule, InjectedCrash, NativeServices, NativeStep, StepRecord,
    VirtualClock,
};
pub use http::NativeHttp;
pub use recording_server::{group_by_header, RecordedRequest, RecordingServer, Scripted};
pub use sqlite::{SqliteDatabase, SqliteStore};
