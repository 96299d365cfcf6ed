//! Request bodies of the dashboard API (`/dashboard/incidents…`). The server parses them
//! (unknown fields refused) and its OpenAPI document takes their schemas from here; clients
//! serialize them, so both sides agree on every field.
//!
//! The `schemars` limits are the published ones; the server enforces them on the text as sent
//! (`incidentd_adapters::dashboard::receiver::requests`), then the core trims and checks again.

// Not every field of these bodies has a doc comment, on purpose: schemars turns a field's
// doc into its description in the published OpenAPI document (docs/openapi.json), which
// this crate must not change.
#![allow(missing_docs)]

use incidentd_core::decide::{MAX_ID_CHARS, MAX_MESSAGE_CHARS, MAX_PROMPT_CHARS, MAX_TITLE_CHARS};
use incidentd_core::model::{AffectedService, AffectionStatus, Severity, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A character other than white space somewhere (ECMA-262 `\S`): what "not blank" means.
pub const NOT_BLANK: &str = r"\S";
/// `idempotency_key`'s whole syntax.
pub const IDEMPOTENCY_KEY: &str = r"^[A-Za-z0-9_.:-]{1,128}$";

/// `POST /dashboard/incidents`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    /// What is happening, in the reporter's words (not blank).
    #[schemars(length(min = 1, max = MAX_PROMPT_CHARS), regex(pattern = NOT_BLANK))]
    pub prompt: String,
    /// Defaults to the prompt's first line (not blank when given).
    #[serde(default)]
    #[schemars(length(min = 1, max = MAX_TITLE_CHARS), regex(pattern = NOT_BLANK))]
    pub title: Option<String>,
    /// Defaults to `medium`.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Retrying a create with the same key returns the same incident (1 to 128 of
    /// `A-Z a-z 0-9 _ - . :`).
    #[serde(default)]
    #[schemars(regex(pattern = IDEMPOTENCY_KEY))]
    pub idempotency_key: Option<String>,
}

/// `POST /dashboard/incidents/:id/severity`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSeverity {
    pub severity: Severity,
}

/// `POST /dashboard/incidents/:id/assignee`; `null` unassigns (the field is required, so a
/// forgotten field never unassigns by accident).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAssignee {
    #[serde(deserialize_with = "Option::deserialize")]
    #[schemars(required, length(min = 1, max = MAX_ID_CHARS), regex(pattern = NOT_BLANK))]
    pub assignee: Option<String>,
}

/// `POST /dashboard/incidents/:id/status`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatus {
    pub status: Status,
    /// Why; may be empty, must be present.
    #[schemars(length(max = MAX_MESSAGE_CHARS))]
    pub message: String,
}

/// `POST /dashboard/incidents/:id/messages`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMessage {
    #[schemars(length(min = 1, max = MAX_MESSAGE_CHARS), regex(pattern = NOT_BLANK))]
    pub message: String,
    /// Deduplicates retries: a known id is answered with the original event.
    #[schemars(length(min = 1, max = MAX_ID_CHARS), regex(pattern = NOT_BLANK))]
    pub message_id: String,
}

/// `POST /dashboard/incidents/:id/prompts`: ask the incident agent.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPrompt {
    #[schemars(length(min = 1, max = MAX_PROMPT_CHARS), regex(pattern = NOT_BLANK))]
    pub prompt: String,
    /// Deduplicates retries: a known id is answered with the original event.
    #[schemars(length(min = 1, max = MAX_ID_CHARS), regex(pattern = NOT_BLANK))]
    pub prompt_id: String,
}

/// `POST /dashboard/incidents/:id/affection`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAffection {
    #[schemars(length(min = 1, max = MAX_TITLE_CHARS), regex(pattern = NOT_BLANK))]
    pub title: String,
    /// Services of the tenant's catalog (another id is a 422), at least one.
    #[schemars(length(min = 1))]
    pub services: Vec<AffectedService>,
    #[schemars(length(min = 1, max = MAX_MESSAGE_CHARS), regex(pattern = NOT_BLANK))]
    pub message: String,
}

/// `POST /dashboard/incidents/:id/affection/updates`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAffection {
    #[schemars(length(min = 1, max = MAX_MESSAGE_CHARS), regex(pattern = NOT_BLANK))]
    pub message: String,
    #[serde(default)]
    pub status: Option<AffectionStatus>,
    /// Sets the impact of each service named (adding those not affected yet; another id than
    /// the catalog's is a 422); the others keep theirs. Absent or null: no change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub services: Option<Vec<AffectedService>>,
}

/// `POST /dashboard/incidents/:id/dead-letters/:event_id/replay`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {}

/// `POST /dashboard/incidents/:id/failed-effects/:event_id/:effect/retry`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryEffect {}

/// `POST /dashboard/incidents/:id/failed-effects/:event_id/:effect/dismiss`: the operator gives
/// up on the effect (recorded in the timeline as theirs); its lane goes on without it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissEffect {}
