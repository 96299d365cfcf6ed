//! The incident agent's tools when someone prompts it, built from the incident's current state
//! so their enums only offer what is allowed now (the next statuses, the incident's services,
//! forward status-page statuses), and the translation of a call into the core command the API
//! uses for the same change. The Incident object still validates everything: a call it refuses,
//! or arguments that do not read, become an explanation, never a failure.
//!
//! The status page has two tools where the original service had one: `add_status_page_update`
//! there also opened the public incident when none existed, its title and services then
//! required by rules the schema could not state, and its service enum fell back to `[""]` for
//! a tenant without services. Here opening and updating are separate strict tools, each offered
//! only when it can succeed.

use super::tool_schema::{
    affection_status_or_null, closed_object, services, services_or_null,
    status_page_incident_properties, status_page_update_properties, text,
};
use incidentd_core::model::{IncidentState, Severity, Status};
use incidentd_core::Command;
use incidentd_llm::Tool;
use serde_json::{json, Value};

pub const UPDATE_STATUS: &str = "update_status";
pub const UPDATE_SEVERITY: &str = "update_severity";
pub const OPEN_STATUS_PAGE_INCIDENT: &str = "open_status_page_incident";
pub const ADD_STATUS_PAGE_UPDATE: &str = "add_status_page_update";

const STATUSES: [Status; 4] = [
    Status::Open,
    Status::Mitigating,
    Status::Resolved,
    Status::Declined,
];
const SEVERITIES: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];

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
            parameters: closed_object(json!({
                "status": { "type": "string", "enum": next },
                "message": { "type": "string" },
            })),
        });
    }
    if incident.status.is_terminal() {
        return tools;
    }
    let severities: Vec<&str> = SEVERITIES.iter().map(|s| s.as_str()).collect();
    tools.push(Tool {
        name: UPDATE_SEVERITY.into(),
        description: "Change the incident's severity.".into(),
        parameters: closed_object(json!({
            "severity": { "type": "string", "enum": severities },
        })),
    });
    match &incident.affection {
        None if !incident.services.is_empty() => tools.push(Tool {
            name: OPEN_STATUS_PAGE_INCIDENT.into(),
            description: "Open the public status-page incident (customers read it): a title, \
                the affected services with their impact, and the first update. It opens as \
                investigating; later changes go through add_status_page_update."
                .into(),
            parameters: closed_object(status_page_incident_properties(incident)),
        }),
        None => {}
        Some(affection) => tools.push(Tool {
            name: ADD_STATUS_PAGE_UPDATE.into(),
            description: "Post an update on the public status-page incident; optionally move \
                its status forward and set the impact of services (null keeps them)."
                .into(),
            parameters: closed_object(status_page_update_properties(incident, affection.status)),
        }),
    }
    tools
}

/// The command a tool call asks for, or why it cannot be one (unknown tool, bad arguments).
pub fn command(name: &str, arguments: &Value, acting_for: &str) -> Result<Command, String> {
    match name {
        UPDATE_STATUS => Ok(Command::UpdateStatus {
            status: Status::try_from(text(arguments, "status")?)
                .map_err(|e| format!("`status`: {e}"))?,
            message: text(arguments, "message")?,
        }),
        UPDATE_SEVERITY => Ok(Command::SetSeverity {
            severity: Severity::try_from(text(arguments, "severity")?)
                .map_err(|e| format!("`severity`: {e}"))?,
        }),
        OPEN_STATUS_PAGE_INCIDENT => Ok(Command::CreateAffection {
            title: text(arguments, "title")?,
            services: services(arguments, "services")?,
            message: text(arguments, "message")?,
            created_by: acting_for.to_owned(),
        }),
        ADD_STATUS_PAGE_UPDATE => Ok(Command::UpdateAffection {
            message: text(arguments, "message")?,
            status: affection_status_or_null(arguments, "status")?,
            services: services_or_null(arguments, "services")?,
            created_by: acting_for.to_owned(),
        }),
        other => Err(format!("there is no tool `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::strict;
    use incidentd_core::model::{AffectedService, Affection, AffectionStatus, Impact, Service};

    fn open_incident() -> IncidentState {
        incidentd_core::testing::state("inc", 1, Status::Open, "t")
    }

    fn with_services() -> IncidentState {
        let mut incident = open_incident();
        incident.services = vec![
            Service {
                id: "api".into(),
                name: "API".into(),
            },
            Service {
                id: "checkout".into(),
                name: "Checkout".into(),
            },
        ];
        incident
    }

    fn names(incident: &IncidentState) -> Vec<String> {
        tools(incident).into_iter().map(|t| t.name).collect()
    }

    #[test]
    fn tools_offer_only_what_is_allowed_now() {
        assert_eq!(names(&open_incident()), [UPDATE_STATUS, UPDATE_SEVERITY]);
        let status_tool = &tools(&open_incident())[0];
        assert_eq!(
            status_tool.parameters["properties"]["status"]["enum"],
            json!(["mitigating", "resolved", "declined"])
        );

        let incident = with_services();
        assert_eq!(
            names(&incident),
            [UPDATE_STATUS, UPDATE_SEVERITY, OPEN_STATUS_PAGE_INCIDENT]
        );
        let open = &tools(&incident)[2].parameters;
        assert_eq!(
            open["properties"]["services"]["items"]["properties"]["id"]["enum"],
            json!(["api", "checkout"])
        );

        let mut published = incident.clone();
        published.affection = Some(Affection {
            title: "Checkout degraded".into(),
            services: Vec::new(),
            status: AffectionStatus::Mitigating,
            updates: 2,
        });
        assert_eq!(
            names(&published),
            [UPDATE_STATUS, UPDATE_SEVERITY, ADD_STATUS_PAGE_UPDATE]
        );
        let update = &tools(&published)[2].parameters;
        assert_eq!(
            update["properties"]["status"]["enum"],
            json!(["resolved", null])
        );

        let mut closed = published;
        closed.status = Status::Resolved;
        assert!(names(&closed).is_empty());
    }

    #[test]
    fn every_tool_fits_openais_strict_subset() {
        let mut published = with_services();
        published.affection = Some(Affection {
            title: "t".into(),
            services: Vec::new(),
            status: AffectionStatus::Investigating,
            updates: 1,
        });
        for incident in [open_incident(), with_services(), published] {
            for tool in tools(&incident) {
                assert_eq!(
                    strict::breaches(&tool.parameters),
                    Vec::<String>::new(),
                    "{}",
                    tool.name
                );
            }
        }
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

        let checkout = AffectedService {
            id: "checkout".into(),
            impact: Impact::Major,
        };
        assert_eq!(
            command(
                OPEN_STATUS_PAGE_INCIDENT,
                &json!({ "title": " Checkout degraded ", "message": "Investigating.",
                         "services": [{ "id": "checkout", "impact": "major" }] }),
                "incident-agent"
            ),
            Ok(Command::CreateAffection {
                title: "Checkout degraded".into(),
                services: vec![checkout.clone()],
                message: "Investigating.".into(),
                created_by: "incident-agent".into(),
            })
        );
        assert_eq!(
            command(
                OPEN_STATUS_PAGE_INCIDENT,
                &json!({ "title": "t", "message": "m", "services": [{ "id": "checkout" }] }),
                "incident-agent"
            ),
            Err("`services[0]`: missing field `impact`".into())
        );
        assert_eq!(
            command(
                ADD_STATUS_PAGE_UPDATE,
                &json!({ "message": "Recovering.", "status": "mitigating",
                         "services": [{ "id": "checkout", "impact": "major" }] }),
                "incident-agent"
            ),
            Ok(Command::UpdateAffection {
                message: "Recovering.".into(),
                status: Some(AffectionStatus::Mitigating),
                services: Some(vec![checkout]),
                created_by: "incident-agent".into(),
            })
        );
        assert!(command(
            ADD_STATUS_PAGE_UPDATE,
            &json!({ "message": "m", "status": "fixed", "services": null }),
            "incident-agent"
        )
        .unwrap_err()
        .contains("`status`: unknown variant `fixed`"));
    }
}
