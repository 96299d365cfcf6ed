//! incidentd's test kit, for tests only (a dev-dependency, never linked into the worker).
//!
//! - [`pipeline`]: the whole product in process on the framework's native host: Incident
//!   objects over SQLite, the registered workflows on the native engine, D1 with the project's
//!   migrations;
//! - fakes of the external services, each held to its vendor's published contract (tables
//!   under `contracts/`): [`FakeSlack`] (the Web API) and [`FakeLlm`] (an OpenAI-compatible
//!   chat completions server), both on the framework's `RecordingServer`;
//! - [`slack_workspace`]: a pipeline whose tenant has connected the fake Slack workspace;
//! - [`campaign`]: the seeded fault campaign (binary `incidentd-campaign`), with its fake
//!   webhook receiver.
//!
//! Everything here goes through the product crates' public APIs.

pub mod campaign;
mod fake_llm;
mod fake_slack;
pub mod pipeline;
pub mod slack_workspace;

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
