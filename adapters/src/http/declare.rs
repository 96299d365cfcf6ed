//! The one declare path every receiver takes (the dashboard's create, a Slack mention,
//! `/incident <title>`): the input checked before anything is written, the tenant's entry
//! points and services filled in from its (cached) configuration, then the incident started.

use super::tenant_cache::cached_tenant_config;
use super::ApiError;
use incidentd_core::{DomainError, IncidentCallError, IncidentHandle, StartIncident, Started};
use sluice::sql::Database;
use std::fmt;

/// Why a declaration did not start an incident.
#[derive(Debug)]
pub enum DeclareError {
    /// The input can never make an incident (too long, say): nothing was written.
    Invalid(DomainError),
    /// The tenant's configuration could not be read: nothing was written.
    TenantConfig(ApiError),
    /// The incident object refused the start or could not be reached.
    Start(IncidentCallError),
}

impl fmt::Display for DeclareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclareError::Invalid(e) => write!(f, "{e}"),
            DeclareError::TenantConfig(e) => write!(f, "tenant configuration: {}", e.message),
            DeclareError::Start(e) => write!(f, "{e}"),
        }
    }
}

/// Each cause keeps the answer it has on its own: 422, the configuration's error, the
/// object's refusal (or 500).
impl From<DeclareError> for ApiError {
    fn from(e: DeclareError) -> Self {
        match e {
            DeclareError::Invalid(e) => ApiError::from(e),
            DeclareError::TenantConfig(e) => e,
            DeclareError::Start(e) => ApiError::from(e),
        }
    }
}

/// Starts `input` on `handle` as `input.tenant_id`'s incident, at `now_ms` (which decides who
/// is on call). The caller leaves `entry_points` and `services` empty: they come from the
/// tenant's configuration.
pub async fn declare(
    db: &dyn Database,
    handle: &IncidentHandle,
    mut input: StartIncident,
    now_ms: i64,
) -> Result<Started, DeclareError> {
    input.validate().map_err(DeclareError::Invalid)?;
    let (entry_points, services) = cached_tenant_config(db, &input.tenant_id, now_ms)
        .await
        .map_err(DeclareError::TenantConfig)?;
    input.entry_points = entry_points;
    input.services = services;
    handle.start(input).await.map_err(DeclareError::Start)
}
