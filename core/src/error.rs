//! Domain errors with stable codes. They cross the protocol to the Incident object as data
//! (so they serialise), and the API maps them to HTTP statuses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the incident's current state refuses a valid request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Conflict {
    /// The status cannot move there from the current one.
    InvalidTransition,
    /// The incident is resolved or declined.
    IncidentClosed,
    /// The status-page incident exists already.
    AffectionExists,
    /// An update to a status-page incident that does not exist.
    NoAffection,
    /// The status-page status only moves forward.
    StatusCanOnlyMoveForward,
    /// This exact signed request was applied already.
    RequestReplayed,
    /// An idempotency key that made another incident.
    IdempotencyKeyReused,
    /// The suggestion was applied or dismissed already.
    SuggestionAlreadyResolved,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::InvalidTransition => "INVALID_TRANSITION",
            Conflict::IncidentClosed => "INCIDENT_CLOSED",
            Conflict::AffectionExists => "AFFECTION_EXISTS",
            Conflict::NoAffection => "NO_AFFECTION",
            Conflict::StatusCanOnlyMoveForward => "STATUS_CAN_ONLY_MOVE_FORWARD",
            Conflict::RequestReplayed => "REQUEST_REPLAYED",
            Conflict::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Conflict::SuggestionAlreadyResolved => "SUGGESTION_ALREADY_RESOLVED",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainError {
    /// No incident lives at this id (or it belongs to another tenant).
    NotFound,
    /// Input that can never be valid; `field` names what is wrong.
    Invalid { field: String, reason: String },
    /// Valid input that the incident's current state refuses.
    Conflict { code: Conflict, reason: String },
    /// Storage failed; the change was not committed.
    Storage(String),
}

impl DomainError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub fn conflict(code: Conflict, reason: impl Into<String>) -> Self {
        DomainError::Conflict {
            code,
            reason: reason.into(),
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotFound => "NOT_FOUND",
            DomainError::Invalid { .. } => "INVALID_INPUT",
            DomainError::Conflict { code, .. } => code.as_str(),
            DomainError::Storage(_) => "STORAGE_ERROR",
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::NotFound => f.write_str("incident not found"),
            DomainError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            DomainError::Conflict { reason, .. } => f.write_str(reason),
            DomainError::Storage(e) => write!(f, "storage error: {e}"),
        }
    }
}

impl std::error::Error for DomainError {}

impl From<sluice::sql::SqlError> for DomainError {
    fn from(e: sluice::sql::SqlError) -> Self {
        DomainError::Storage(e.message)
    }
}
