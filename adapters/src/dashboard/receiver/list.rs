//! `GET /dashboard/incidents`: the tenant's incidents from the D1 index, newest first.

use super::error::ApiError;
use incidentd_runtime::sql::{decode_rows, Database};
use serde::{Deserialize, Serialize};

/// Most incidents returned by one list call.
pub const LIST_LIMIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentSummary {
    pub id: String,
    pub status: String,
    pub severity: String,
    pub assignee: Option<String>,
    pub title: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn list_incidents(
    db: &dyn Database,
    tenant_id: &str,
) -> Result<Vec<IncidentSummary>, ApiError> {
    let rows = db
        .query(
            "SELECT id, status, severity, assignee, title, description, created_at, updated_at \
             FROM incident_index WHERE tenant_id = ? ORDER BY created_at DESC LIMIT ?",
            vec![tenant_id.into(), LIST_LIMIT.into()],
        )
        .await
        .map_err(|e| ApiError::internal(format!("index query failed: {e}")))?;
    decode_rows(rows).map_err(|e| ApiError::internal(e.message))
}
