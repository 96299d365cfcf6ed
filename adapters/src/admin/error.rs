//! What the admin store and the tenant secrets can refuse or fail with, as domain facts. The
//! kernel maps each to its HTTP answer (`crate::http::error`), so the store knows nothing of
//! status codes.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// No such tenant, entry point, ...: says which.
    NotFound(String),
    /// The change would leave the tenant's entry points without exactly one fallback.
    FallbackRequired(String),
    /// D1 (or the platform) failed: what was being done, and why.
    Failed(String),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::NotFound(m) | AdminError::FallbackRequired(m) | AdminError::Failed(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for AdminError {}
