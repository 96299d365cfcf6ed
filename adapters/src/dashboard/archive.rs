//! The archive of closed incidents in D1: written (idempotently) before a finished incident's
//! Durable Object deletes its storage, read when that object no longer answers.

use incidentd_core::ArchivedIncident;
use sluice::sql::{Database, SqlError};

pub async fn store(
    db: &dyn Database,
    archived: &ArchivedIncident,
    now_ms: i64,
) -> Result<(), SqlError> {
    let view = &archived.view;
    let record = serde_json::to_string(archived).map_err(|e| SqlError::new(e.to_string()))?;
    let status = view.incident.status.as_str();
    db.execute(
        "INSERT INTO incident_archive (id, tenant_id, status, record, archived_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record, archived_at = excluded.archived_at",
        vec![view.incident.id.as_str().into(), view.incident.tenant_id.as_str().into(), status.into(), record.into(), now_ms.into()],
    )
    .await
}

/// The archived record of `id`, if it belongs to `tenant_id`.
pub async fn load(
    db: &dyn Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ArchivedIncident>, SqlError> {
    let rows = db
        .query(
            "SELECT record FROM incident_archive WHERE id = ? AND tenant_id = ?",
            vec![id.into(), tenant_id.into()],
        )
        .await?;
    let Some(text) = rows
        .first()
        .and_then(|r| r.get("record"))
        .and_then(|v| v.as_str())
    else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| SqlError::new(format!("archived record: {e}")))
}
