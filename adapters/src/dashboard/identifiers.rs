//! Identifiers: namespaced (`slack-channel:C123`, `dashboard-key:retry-1`), additive lookup
//! keys of an index row. Each adapter adds its own; adding is one statement that merges the
//! new ones into the stored set (no read-modify-write, so concurrent adds never lose one).

use sluice::sql::{Database, SqlError};

/// Adds `identifiers` to the incident's set.
pub async fn add(
    db: &dyn Database,
    incident_id: &str,
    identifiers: &[String],
) -> Result<(), SqlError> {
    let new = serde_json::to_string(identifiers).map_err(|e| SqlError::new(e.to_string()))?;
    db.execute(
        "UPDATE incident_index SET identifiers = (\
             SELECT json_group_array(value) FROM (\
                 SELECT value FROM json_each(incident_index.identifiers) \
                 UNION SELECT value FROM json_each(?)\
             )\
         ) WHERE id = ?",
        vec![new.into(), incident_id.into()],
    )
    .await
}

/// The tenant's incident holding `identifier`, newest first.
pub async fn find(
    db: &dyn Database,
    tenant_id: &str,
    identifier: &str,
) -> Result<Option<String>, SqlError> {
    let rows = db
        .query(
            "SELECT id FROM incident_index WHERE tenant_id = ? \
             AND EXISTS (SELECT 1 FROM json_each(incident_index.identifiers) WHERE value = ?) \
             ORDER BY created_at DESC LIMIT 1",
            vec![tenant_id.into(), identifier.into()],
        )
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r.get("id"))
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}
