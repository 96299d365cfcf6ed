//! The API's error shape: `{"error": {"code": "...", "message": "..."}}` with a stable code
//! and the matching 4xx/5xx status.

use super::routes::Allow;
use crate::admin::error::AdminError;
use incidentd_core::{DomainError, IncidentCallError};
use incidentd_wire::signing::AuthError;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// The `Allow` header of a 405 (RFC 9110 §15.5.6): the methods the route accepts.
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            allow: None,
        }
    }

    pub fn not_found() -> Self {
        ApiError::new(404, "NOT_FOUND", "no such route or incident")
    }

    /// 405 with the route's methods, as [`routes::resolve`](super::routes::resolve) found
    /// them.
    pub fn method_not_allowed(allow: &Allow) -> Self {
        ApiError {
            allow: Some(allow.to_string()),
            ..ApiError::new(
                405,
                "METHOD_NOT_ALLOWED",
                format!("method not allowed on this route; it accepts {allow}"),
            )
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "INTERNAL", message)
    }

    pub fn body(&self) -> serde_json::Value {
        json!({ "error": { "code": self.code, "message": self.message } })
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::NotConfigured => ApiError::new(503, "AUTH_NOT_CONFIGURED", e.to_string()),
            _ => ApiError::new(401, "UNAUTHORIZED", e.to_string()),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match &e {
            DomainError::NotFound => ApiError::new(404, e.code(), e.to_string()),
            DomainError::Invalid { .. } => ApiError::new(422, e.code(), e.to_string()),
            DomainError::Conflict { .. } => ApiError::new(409, e.code(), e.to_string()),
            DomainError::Storage(_) => ApiError::new(500, e.code(), e.to_string()),
        }
    }
}

/// A refusal keeps its status; a failed call to the object is a 500 (nothing was refused).
impl From<IncidentCallError> for ApiError {
    fn from(e: IncidentCallError) -> Self {
        match e {
            IncidentCallError::Domain(e) => ApiError::from(e),
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// The admin store's refusals keep their meaning: 404, 409 `FALLBACK_REQUIRED`, else 500.
impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound(m) => ApiError::new(404, "NOT_FOUND", m),
            AdminError::FallbackRequired(m) => ApiError::new(409, "FALLBACK_REQUIRED", m),
            AdminError::Failed(m) => ApiError::internal(m),
        }
    }
}
