//! The tenant's configuration from D1, read once when an incident starts: entry points (who
//! is paged) and services (what a status-page incident may name). One query.

use super::error::ApiError;
use incidentd_core::model::{EntryPoint, Service};
use incidentd_runtime::sql::{decode_rows, Database};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    kind: String,
    id: String,
    a: String,
    b: Option<String>,
    c: i64,
}

pub async fn tenant_config(
    db: &dyn Database,
    tenant_id: &str,
) -> Result<(Vec<EntryPoint>, Vec<Service>), ApiError> {
    let rows = db
        .query(
            "SELECT 'entry_point' AS kind, id, assignee AS a, prompt AS b, is_fallback AS c FROM entry_point WHERE tenant_id = ?1 \
             UNION ALL SELECT 'service' AS kind, id, name AS a, prompt AS b, 0 AS c FROM service WHERE tenant_id = ?1 \
             ORDER BY kind, id",
            vec![tenant_id.into()],
        )
        .await
        .map_err(|e| ApiError::internal(format!("tenant configuration: {e}")))?;
    let rows: Vec<Row> = decode_rows(rows).map_err(|e| ApiError::internal(e.message))?;
    let mut entry_points = Vec::new();
    let mut services = Vec::new();
    for row in rows {
        if row.kind == "entry_point" {
            entry_points.push(EntryPoint {
                id: row.id,
                assignee: row.a,
                prompt: row.b.unwrap_or_default(),
                is_fallback: row.c != 0,
            });
        } else {
            services.push(Service {
                id: row.id,
                name: row.a,
            });
        }
    }
    Ok((entry_points, services))
}
