//! What the agent's two tool sets share (the prompt's tools in `tools`, an agent turn's
//! proposals in `suggestions`): the strict-mode schema pieces, built from the incident so their
//! enums offer only what is valid now, and the readers of the arguments they describe. A
//! reader's error names the argument, so the model (or the person reading the reply) learns
//! what was wrong.

use incidentd_core::model::{AffectedService, AffectionStatus, Impact, IncidentState};
use serde_json::{json, Value};

const IMPACTS: [Impact; 2] = [Impact::Partial, Impact::Major];

/// An object in OpenAI's strict subset: closed, every property required.
pub fn closed_object(properties: Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    json!({ "type": "object", "additionalProperties": false, "properties": properties, "required": required })
}

/// The arguments of opening the status-page incident: title, services, first update.
pub fn status_page_incident_properties(incident: &IncidentState) -> Value {
    json!({
        "title": { "type": "string",
                   "description": "Plain words for customers, at most 120 characters." },
        "services": affected_services(incident, "The affected services."),
        "message": { "type": "string", "description": "The first public update." },
    })
}

/// The arguments of an update of the status-page incident, now at `current`.
pub fn status_page_update_properties(incident: &IncidentState, current: AffectionStatus) -> Value {
    json!({
        "message": { "type": "string", "description": "The public update." },
        "status": forward_status_or_null(current),
        "services": affected_services_or_null(
            incident,
            "Services whose impact changes, or that are affected now too; the others keep theirs.",
        ),
    })
}

/// Services and their impact, one of the incident's services each; at least one.
fn affected_services(incident: &IncidentState, description: &str) -> Value {
    let ids: Vec<&str> = incident.services.iter().map(|s| s.id.as_str()).collect();
    let impacts: Vec<&str> = IMPACTS.iter().map(|i| i.as_str()).collect();
    json!({
        "type": "array",
        "minItems": 1,
        "description": description,
        "items": closed_object(json!({
            "id": { "type": "string", "enum": ids },
            "impact": { "type": "string", "enum": impacts,
                        "description": "partial: degraded or failing for some; major: down for most." },
        })),
    })
}

/// [`affected_services`], or null to leave the services as they are (only null for an
/// incident without services: an empty enum is no valid schema).
fn affected_services_or_null(incident: &IncidentState, description: &str) -> Value {
    if incident.services.is_empty() {
        return json!({ "type": "null", "description": description });
    }
    json!({ "anyOf": [affected_services(incident, description), { "type": "null" }] })
}

/// The status-page statuses ahead of the current one, or null to keep it.
fn forward_status_or_null(current: AffectionStatus) -> Value {
    let forward: Vec<Value> = [AffectionStatus::Mitigating, AffectionStatus::Resolved]
        .into_iter()
        .filter(|s| *s > current)
        .map(|s| json!(s.as_str()))
        .chain([Value::Null])
        .collect();
    json!({ "type": ["string", "null"], "enum": forward,
            "description": "Move the public status forward, or null to keep it." })
}

/// The text argument `key`, trimmed.
pub fn text(arguments: &Value, key: &str) -> Result<String, String> {
    arguments[key]
        .as_str()
        .map(|s| s.trim().to_owned())
        .ok_or_else(|| format!("`{key}` is missing or not text"))
}

/// The services argument `key`: each `{id, impact}`, the first bad one named by its index.
pub fn services(arguments: &Value, key: &str) -> Result<Vec<AffectedService>, String> {
    let items = arguments[key]
        .as_array()
        .ok_or_else(|| format!("`{key}` is missing or not a list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| sluice::json::from_value(item).map_err(|e| format!("`{key}[{i}]`: {e}")))
        .collect()
}

/// [`services`], with null meaning none given.
pub fn services_or_null(
    arguments: &Value,
    key: &str,
) -> Result<Option<Vec<AffectedService>>, String> {
    match &arguments[key] {
        Value::Null => Ok(None),
        _ => services(arguments, key).map(Some),
    }
}

/// The status-page status argument `key`, null meaning none.
pub fn affection_status_or_null(
    arguments: &Value,
    key: &str,
) -> Result<Option<AffectionStatus>, String> {
    match &arguments[key] {
        Value::Null => Ok(None),
        Value::String(s) => AffectionStatus::try_from(s.clone())
            .map(Some)
            .map_err(|e| format!("`{key}`: {e}")),
        _ => Err(format!("`{key}` is not text or null")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_name_the_argument_that_is_wrong() {
        let args = json!({
            "services": [{ "id": "api", "impact": "major" }, { "id": "db", "impact": "huge" }],
            "status": 3,
            "title": null,
        });
        assert!(services(&args, "services")
            .unwrap_err()
            .starts_with("`services[1]`: unknown variant `huge`"));
        assert_eq!(
            affection_status_or_null(&args, "status").unwrap_err(),
            "`status` is not text or null"
        );
        assert_eq!(
            text(&args, "title").unwrap_err(),
            "`title` is missing or not text"
        );
        assert_eq!(services_or_null(&args, "missing"), Ok(None));
        let extra = json!({ "services": [{ "id": "api", "impact": "major", "note": "x" }] });
        assert!(services(&extra, "services")
            .unwrap_err()
            .contains("unknown field `note`"));
    }
}
