//! The incident agent's tools, built from the incident's current state so their enums only
//! offer what is allowed now (the next statuses, forward status-page statuses), and the
//! translation of a call into a core command. The Incident object still validates everything:
//! a call it refuses becomes an explanation, never a failure.

use incidentd_core::model::{AffectionStatus, IncidentState, Severity, Status};
use incidentd_core::Command;
use incidentd_runtime::llm::Tool;
use serde_json::{json, Value};

pub const UPDATE_STATUS: &str = "update_status";
pub const UPDATE_SEVERITY: &str = "update_severity";
pub const ADD_STATUS_PAGE_UPDATE: &str = "add_status_page_update";

const STATUSES: [Status; 4] = [
    Status::Open,
    Status::Mitigating,
    Status::Resolved,
    Status::Declined,
];
const SEVERITIES: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];
const AFFECTION_STATUSES: [AffectionStatus; 3] = [
    AffectionStatus::Investigating,
    AffectionStatus::Mitigating,
    AffectionStatus::Resolved,
];

fn closed_object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": properties, "required": required })
}

/// The tools that can do something for `incident` now.
pub fn tools(incident: &IncidentState) -> Vec<Tool> {
    let mut tools = Vec::new();
    let next: Vec<&str> = STATUSES
        .iter()
        .filter(|s| incident.status.can_move_to(**s))
        .map(|s| s.as_str())
        .collect();
    if !next.is_empty() {
        tools.push(Tool {
            name: UPDATE_STATUS.into(),
            description: "Move the incident's status, with a short message for the timeline."
                .into(),
            parameters: closed_object(
                json!({ "status": { "type": "string", "enum": next },
                        "message": { "type": "string" } }),
                &["status", "message"],
            ),
        });
    }
    if !incident.status.is_terminal() {
        let severities: Vec<&str> = SEVERITIES.iter().map(|s| s.as_str()).collect();
        tools.push(Tool {
            name: UPDATE_SEVERITY.into(),
            description: "Change the incident's severity.".into(),
            parameters: closed_object(
                json!({ "severity": { "type": "string", "enum": severities } }),
                &["severity"],
            ),
        });
    }
    if let Some(affection) = incident
        .affection
        .as_ref()
        .filter(|_| !incident.status.is_terminal())
    {
        let forward: Vec<Value> = AFFECTION_STATUSES
            .iter()
            .filter(|s| **s > affection.status)
            .map(|s| json!(s.as_str()))
            .chain([Value::Null])
            .collect();
        tools.push(Tool {
            name: ADD_STATUS_PAGE_UPDATE.into(),
            description: "Post an update on the public status page; optionally move its status forward (null keeps it).".into(),
            parameters: closed_object(
                json!({ "message": { "type": "string" },
                        "status": { "type": ["string", "null"], "enum": forward } }),
                &["message", "status"],
            ),
        });
    }
    tools
}

/// The command a tool call asks for, or why it cannot be one (unknown tool, bad arguments).
pub fn command(name: &str, arguments: &Value, acting_for: &str) -> Result<Command, String> {
    let field = |key: &str| {
        arguments[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{name}: `{key}` is missing or not text"))
    };
    let word = |key: &str| -> Result<String, String> { field(key) };
    match name {
        UPDATE_STATUS => Ok(Command::UpdateStatus {
            status: Status::try_from(word("status")?).map_err(|e| format!("{name}: {e}"))?,
            message: field("message")?,
        }),
        UPDATE_SEVERITY => Ok(Command::SetSeverity {
            severity: Severity::try_from(word("severity")?).map_err(|e| format!("{name}: {e}"))?,
        }),
        ADD_STATUS_PAGE_UPDATE => Ok(Command::UpdateAffection {
            message: field("message")?,
            status: match &arguments["status"] {
                Value::Null => None,
                Value::String(s) => {
                    Some(AffectionStatus::try_from(s.clone()).map_err(|e| format!("{name}: {e}"))?)
                }
                _ => return Err(format!("{name}: `status` is not text or null")),
            },
            created_by: acting_for.to_owned(),
        }),
        other => Err(format!("there is no tool `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_incident() -> IncidentState {
        incidentd_core::testing::state("inc", 1, Status::Open, "t")
    }

    #[test]
    fn tools_offer_only_what_is_allowed_now() {
        let names = |i: &IncidentState| tools(i).into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(&open_incident()), [UPDATE_STATUS, UPDATE_SEVERITY]);
        let status_tool = &tools(&open_incident())[0];
        assert_eq!(
            status_tool.parameters["properties"]["status"]["enum"],
            json!(["mitigating", "resolved", "declined"])
        );
        let mut closed = open_incident();
        closed.status = Status::Resolved;
        assert!(names(&closed).is_empty());
    }

    #[test]
    fn calls_become_commands_or_explanations() {
        assert_eq!(
            command(
                UPDATE_STATUS,
                &json!({ "status": "mitigating", "message": "m" }),
                "agent"
            ),
            Ok(Command::UpdateStatus {
                status: Status::Mitigating,
                message: "m".into()
            })
        );
        assert!(command(
            UPDATE_STATUS,
            &json!({ "status": "sideways", "message": "m" }),
            "agent"
        )
        .unwrap_err()
        .contains("sideways"));
        assert!(command("drop_tables", &json!({}), "agent")
            .unwrap_err()
            .contains("no tool"));
        assert!(command(UPDATE_SEVERITY, &json!({}), "agent")
            .unwrap_err()
            .contains("severity"));
    }
}
