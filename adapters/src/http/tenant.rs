//! The tenant's configuration from D1, read when an incident starts: entry points (who is
//! paged) and services (what a status-page incident may name), in one query; plus, only for a
//! tenant with rotation entry points, its rotations. Rotations are kept unresolved, so
//! whoever caches this resolves them at each declaration ([`TenantConfig::resolve`]).

use super::error::ApiError;
use crate::admin::rotation::{effective_assignee, Rotation};
use crate::admin::store::load_rotations;
use chrono::{DateTime, Utc};
use incidentd_core::model::{EntryPoint, Service};
use serde::Deserialize;
use sluice::sql::{decode_rows, Database};
use std::collections::HashMap;

#[derive(Deserialize)]
struct Row {
    kind: String,
    id: String,
    a: Option<String>,
    b: Option<String>,
    c: i64,
    r: Option<String>,
}

/// An entry point as configured: a user, or a rotation to resolve at declaration.
#[derive(Clone, Debug)]
struct ConfiguredEntryPoint {
    entry_point: EntryPoint,
    rotation_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct TenantConfig {
    entry_points: Vec<ConfiguredEntryPoint>,
    services: Vec<Service>,
    rotations: HashMap<String, Rotation>,
}

impl TenantConfig {
    /// The entry points and services at `now_ms`: each rotation entry point pages whoever is
    /// on call then. One whose rotation is missing or unreadable is left out (the fallback
    /// rule then picks among the rest).
    pub fn resolve(&self, now_ms: i64) -> (Vec<EntryPoint>, Vec<Service>) {
        let now = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
        let entry_points = self
            .entry_points
            .iter()
            .filter_map(|e| match &e.rotation_id {
                None => Some(e.entry_point.clone()),
                Some(r) => {
                    let assignee = effective_assignee(self.rotations.get(r)?, now)?;
                    Some(EntryPoint {
                        assignee: assignee.to_owned(),
                        ..e.entry_point.clone()
                    })
                }
            })
            .collect();
        (entry_points, self.services.clone())
    }
}

pub async fn tenant_config(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<TenantConfig, ApiError> {
    let rows = db
        .query(
            "SELECT 'entry_point' AS kind, id, assignee AS a, prompt AS b, is_fallback AS c, rotation_id AS r \
             FROM entry_point WHERE tenant_id = ?1 \
             UNION ALL SELECT 'service' AS kind, id, name AS a, prompt AS b, 0 AS c, NULL AS r \
             FROM service WHERE tenant_id = ?1 \
             ORDER BY kind, id",
            vec![tenant_id.into()],
        )
        .await
        .map_err(|e| ApiError::internal(format!("tenant configuration: {e}")))?;
    let rows: Vec<Row> = decode_rows(rows).map_err(|e| ApiError::internal(e.message))?;
    let mut config = TenantConfig::default();
    for row in rows {
        if row.kind == "entry_point" {
            config.entry_points.push(ConfiguredEntryPoint {
                entry_point: EntryPoint {
                    id: row.id,
                    assignee: row.a.unwrap_or_default(),
                    prompt: row.b.unwrap_or_default(),
                    is_fallback: row.c != 0,
                },
                rotation_id: row.r,
            });
        } else {
            config.services.push(Service {
                id: row.id,
                name: row.a.unwrap_or_default(),
            });
        }
    }
    if config.entry_points.iter().any(|e| e.rotation_id.is_some()) {
        config.rotations = load_rotations(db, tenant_id, now_ms).await?;
    }
    Ok(config)
}
