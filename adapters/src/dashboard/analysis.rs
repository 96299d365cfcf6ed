//! The stored post-incident analysis (written by `IncidentAnalysisWorkflow`), as the API
//! serves it: the measures, the model's review (or why there is none) and its action items.

use serde_json::{json, Value};
use sluice::sql::{Database, SqlError};

/// The analysis of `incident_id` if it belongs to `tenant_id` and is ready.
pub async fn load(
    db: &dyn Database,
    tenant_id: &str,
    incident_id: &str,
) -> Result<Option<Value>, SqlError> {
    let rows = db
        .query(
            "SELECT metrics, postmortem, note, model, created_at FROM incident_analysis \
             WHERE incident_id = ? AND tenant_id = ?",
            vec![incident_id.into(), tenant_id.into()],
        )
        .await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let json = |column: &str| -> Result<Value, SqlError> {
        match row.get(column).and_then(Value::as_str) {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| SqlError::new(format!("stored analysis {column}: {e}"))),
            None => Ok(Value::Null),
        }
    };
    let actions: Vec<Value> = db
        .query(
            "SELECT title, owner FROM incident_action WHERE incident_id = ? ORDER BY position",
            vec![incident_id.into()],
        )
        .await?
        .into_iter()
        .map(|a| json!({ "title": a.get("title"), "owner": a.get("owner") }))
        .collect();
    Ok(Some(json!({
        "incident_id": incident_id,
        "metrics": json("metrics")?,
        "postmortem": json("postmortem")?,
        "note": row.get("note"),
        "model": row.get("model"),
        "action_items": actions,
        "created_at": row.get("created_at"),
    })))
}
