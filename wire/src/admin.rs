//! Request bodies of the admin API (`/admin/tenants…`, the operator's bearer token) and the
//! limits they are checked against. The server parses and validates them
//! (`incidentd_adapters::admin::requests`: every refusal a 422 naming its field); `incidentctl
//! admin` serializes them, so both sides agree on every field.

use serde::{Deserialize, Serialize};

/// Default grace of a rotated signing secret, in seconds.
pub const DEFAULT_GRACE_SECS: u32 = 3_600;
/// Longest grace accepted: thirty days.
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
    /// The tenant's id: 1 to 64 of `A-Z a-z 0-9 _ - .`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The display name; the id when left out.
    pub name: Option<String>,
}

/// `POST /admin/tenants/:id/signing-secret/rotate`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How long the previous secret still verifies, in seconds: [`DEFAULT_GRACE_SECS`] when
    /// left out, at most [`MAX_GRACE_SECS`].
    pub grace_seconds: Option<u32>,
}

/// `PUT /admin/tenants/:id/status-page`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutStatusPage {
    /// The page's address: 1 to 64 of `a-z 0-9 -`, not starting with `-`.
    pub slug: String,
    /// The page's heading.
    pub title: String,
}

/// `PUT /admin/tenants/:id/services/:service_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutService {
    /// The service's display name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// What the service is, shown on the status page.
    pub description: Option<String>,
    /// Guidance for the incident agent and triage about this service (owners, runbook
    /// hints); shown to the model with the incidents that involve the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Whether the public status page lists it.
    pub public: bool,
}

/// `PUT /admin/tenants/:id/rotations/:rotation_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutRotation {
    /// Who takes turns, in order (1 to 100 users).
    pub members: Vec<String>,
    /// How long each shift lasts, 1 to [`MAX_SHIFT_HOURS`].
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
    /// Who is on call instead.
    pub user: String,
    /// When the override starts (RFC 3339, inclusive).
    pub from: String,
    /// When it ends (RFC 3339, exclusive).
    pub to: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
/// Whom an entry point pages: one user, or whoever a rotation has on call.
pub enum EntryPointKind {
    /// `assignee` names the user.
    User,
    /// `rotation_id` names the rotation.
    Rotation,
}

/// `PUT /admin/tenants/:id/entry-points/:entry_point_id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PutEntryPoint {
    /// User or rotation: exactly the matching one of `assignee` and `rotation_id` is given.
    pub kind: EntryPointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The user paged, with `kind: user`.
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The rotation paged, with `kind: rotation`.
    pub rotation_id: Option<String>,
    #[serde(default)]
    /// Which incidents this entry point is for, as triage reads it (may be empty).
    pub prompt: String,
    /// Whether this is the tenant's fallback: paged when no other entry point matches.
    pub fallback: bool,
}
