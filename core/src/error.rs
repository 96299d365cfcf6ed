//! Domain errors with stable codes; the API maps them to HTTP statuses.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    /// No incident lives at this id.
    NotFound,
    /// Input that can never be valid; `field` names what is wrong.
    Invalid { field: &'static str, reason: String },
    /// Valid input that the incident's current state refuses (`INVALID_TRANSITION`, ...).
    Conflict { code: &'static str, reason: String },
    /// Storage failed; the change was not committed.
    Storage(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub fn conflict(code: &'static str, reason: impl Into<String>) -> Self {
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
            DomainError::Conflict { code, .. } => code,
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

impl From<incidentd_runtime::sql::SqlError> for DomainError {
    fn from(e: incidentd_runtime::sql::SqlError) -> Self {
        DomainError::Storage(e.message)
    }
}
