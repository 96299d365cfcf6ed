//! Request bodies of the admin API (`/admin/tenants…`, the operator's bearer token) and the
//! limits they are checked against. The server parses and validates them
//! (`incidentd_adapters::admin::requests`: every refusal a 422 naming its field); `incidentctl
//! admin` serializes them, so both sides agree on every field.

use serde::{Deserialize, Serialize};

/// Default grace of a rotated signing secret, and the longest accepted.
pub const DEFAULT_GRACE_SECS: u32 = 3_600;
pub const MAX_GRACE_SECS: u32 = 30 * 86_400;
/// Longest shift: four weeks.
pub const MAX_SHIFT_HOURS: u32 = 28 * 24;
/// Longest service prompt, in characters: what the agent's prompts show per service
/// (`workflows/src/ai/guidance.rs`).
pub const MAX_SERVICE_PROMPT_CHARS: usize = 1_000;

/// `POST /admin/tenants`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /admin/tenants/:id/signing-secret/rotate`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u32>,
}

/// `PUT /admin/tenants/:id/status-page`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutStatusPage {
    pub slug: String,
    pub title: String,
}

/// `PUT /admin/tenants/:id/services/:service_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutService {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Guidance for the incident agent and triage about this service (owners, runbook
    /// hints); shown to the model with the incidents that involve the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    pub public: bool,
}

/// `PUT /admin/tenants/:id/rotations/:rotation_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutRotation {
    pub members: Vec<String>,
    pub shift_hours: u32,
    /// Local `HH:MM` in `time_zone`.
    pub handoff_time: String,
    /// IANA zone id.
    pub time_zone: String,
    /// `YYYY-MM-DD`: the first hand-off's local date.
    pub starts_on: String,
}

/// `POST /admin/tenants/:id/rotations/:rotation_id/overrides`; RFC 3339 instants, `[from, to)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AddOverride {
    pub user: String,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryPointKind {
    User,
    Rotation,
}

/// `PUT /admin/tenants/:id/entry-points/:entry_point_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutEntryPoint {
    pub kind: EntryPointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_id: Option<String>,
    #[serde(default)]
    pub prompt: String,
    pub fallback: bool,
}
