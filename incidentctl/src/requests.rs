//! The API's routes as typed requests. Bodies are the wire types the receiver parses
//! (`incidentd_wire::dashboard`, `admin`, `slack_install`) serialized, so what the CLI sends is
//! by construction what the server parses.

use crate::paths::{
    dismiss_effect_path, incident_path, replay_path, retry_effect_path, INCIDENTS_PATH,
};
use incidentd_core::model::{AffectedService, AffectionStatus};
use incidentd_core::{Severity, Status};
use incidentd_wire::dashboard::{
    AddMessage, AddPrompt, CreateAffection, CreateIncident, DismissEffect, Replay, RetryEffect,
    SetAssignee, SetSeverity, UpdateAffection, UpdateStatus,
};
use incidentd_wire::list::ListQuery;
use incidentd_wire::slack_install::{ConnectRequest, INSTALLATIONS_PATH};
use serde::Serialize;

/// A request ready to sign and send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: &'static str,
    pub path: String,
    /// The JSON body; empty for a `GET`.
    pub body: Vec<u8>,
}

impl ApiRequest {
    fn get(path: String) -> Self {
        ApiRequest {
            method: "GET",
            path,
            body: Vec::new(),
        }
    }

    fn post(path: String, body: &impl Serialize) -> Self {
        Self::with_body("POST", path, body)
    }

    /// A request with a JSON body (`POST`, `PUT`).
    pub fn with_body(method: &'static str, path: String, body: &impl Serialize) -> Self {
        // Plain structs of strings and word enums: serializing them cannot fail.
        let body = serde_json::to_vec(body).expect("request bodies serialize");
        ApiRequest { method, path, body }
    }

    /// A request without a body (`GET`, `DELETE`).
    pub fn bodiless(method: &'static str, path: String) -> Self {
        ApiRequest {
            method,
            path,
            body: Vec::new(),
        }
    }
}

/// `POST /admin/slack/installations`: an operator request (bearer token, not signed).
pub fn slack_connect(request: &ConnectRequest) -> ApiRequest {
    ApiRequest {
        method: "POST",
        path: INSTALLATIONS_PATH.to_owned(),
        body: request.to_body(),
    }
}

/// One page of the list, as `query` asks.
pub fn list_incidents(query: &ListQuery) -> ApiRequest {
    let query = query.to_query_string();
    if query.is_empty() {
        ApiRequest::get(INCIDENTS_PATH.to_owned())
    } else {
        ApiRequest::get(format!("{INCIDENTS_PATH}?{query}"))
    }
}

pub fn show_incident(id: &str) -> ApiRequest {
    ApiRequest::get(incident_path(id, ""))
}

pub fn workflow_status(id: &str) -> ApiRequest {
    ApiRequest::get(incident_path(id, "/workflow"))
}

pub fn dead_letters(id: &str) -> ApiRequest {
    ApiRequest::get(incident_path(id, "/dead-letters"))
}

pub fn create_incident(
    prompt: &str,
    title: Option<&str>,
    severity: Option<Severity>,
    idempotency_key: Option<&str>,
) -> ApiRequest {
    let body = CreateIncident {
        prompt: prompt.to_owned(),
        title: title.map(str::to_owned),
        severity,
        idempotency_key: idempotency_key.map(str::to_owned),
    };
    ApiRequest::post(INCIDENTS_PATH.to_owned(), &body)
}

pub fn set_severity(id: &str, severity: Severity) -> ApiRequest {
    ApiRequest::post(incident_path(id, "/severity"), &SetSeverity { severity })
}

/// `None` clears the assignee.
pub fn set_assignee(id: &str, assignee: Option<&str>) -> ApiRequest {
    let body = SetAssignee {
        assignee: assignee.map(str::to_owned),
    };
    ApiRequest::post(incident_path(id, "/assignee"), &body)
}

pub fn update_status(id: &str, status: Status, message: &str) -> ApiRequest {
    let body = UpdateStatus {
        status,
        message: message.to_owned(),
    };
    ApiRequest::post(incident_path(id, "/status"), &body)
}

pub fn add_message(id: &str, message: &str, message_id: &str) -> ApiRequest {
    let body = AddMessage {
        message: message.to_owned(),
        message_id: message_id.to_owned(),
    };
    ApiRequest::post(incident_path(id, "/messages"), &body)
}

/// `POST …/prompts`: a question or instruction for the incident agent.
pub fn add_prompt(id: &str, prompt: &str, prompt_id: &str) -> ApiRequest {
    let body = AddPrompt {
        prompt: prompt.to_owned(),
        prompt_id: prompt_id.to_owned(),
    };
    ApiRequest::post(incident_path(id, "/prompts"), &body)
}

/// `GET …/analysis`: the post-incident analysis, once ready.
pub fn analysis(id: &str) -> ApiRequest {
    ApiRequest::get(incident_path(id, "/analysis"))
}

pub fn create_affection(
    id: &str,
    title: &str,
    services: &[AffectedService],
    message: &str,
) -> ApiRequest {
    let body = CreateAffection {
        title: title.to_owned(),
        services: services.to_vec(),
        message: message.to_owned(),
    };
    ApiRequest::post(incident_path(id, "/affection"), &body)
}

/// `services` empty: their impacts are left as they are.
pub fn update_affection(
    id: &str,
    message: &str,
    status: Option<AffectionStatus>,
    services: &[AffectedService],
) -> ApiRequest {
    let body = UpdateAffection {
        message: message.to_owned(),
        status,
        services: (!services.is_empty()).then(|| services.to_vec()),
    };
    ApiRequest::post(incident_path(id, "/affection/updates"), &body)
}

pub fn replay(id: &str, event_id: u64) -> ApiRequest {
    ApiRequest::post(replay_path(id, event_id), &Replay {})
}

pub fn failed_effects(id: &str) -> ApiRequest {
    ApiRequest::get(incident_path(id, "/failed-effects"))
}

pub fn retry_effect(id: &str, event_id: u64, effect: &str) -> ApiRequest {
    ApiRequest::post(retry_effect_path(id, event_id, effect), &RetryEffect {})
}

pub fn dismiss_effect(id: &str, event_id: u64, effect: &str) -> ApiRequest {
    ApiRequest::post(dismiss_effect_path(id, event_id, effect), &DismissEffect {})
}

/// A `message_id` unique enough for one CLI invocation: `cli-<unix millis>-<pid>`.
pub fn default_message_id(unix_millis: u128, pid: u32) -> String {
    format!("cli-{unix_millis}-{pid}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_adapters::dashboard::receiver::requests::{
        command, parse_body, CreateIncidentChecks,
    };
    use incidentd_core::model::Impact;
    use incidentd_core::Command;
    use serde_json::{json, Value};

    fn json_of(request: &ApiRequest) -> Value {
        serde_json::from_slice(&request.body).expect("a JSON body")
    }

    /// What the server makes of a change request: its route (the path after the incident id)
    /// and body through the receiver's own parser, acting as `u`.
    fn as_server_command(request: &ApiRequest) -> Command {
        let route = request
            .path
            .strip_prefix(&incident_path("i", "/"))
            .expect("an incident route");
        command(route, &request.body, "u").expect("the server accepts the body")
    }

    #[test]
    fn the_create_body_parses_as_given() {
        // Absent optionals go out as `null` (the receiver's type serializes them so), which
        // the receiver reads as absent.
        let bare = create_incident("db down", None, None, None);
        assert_eq!((bare.method, bare.path.as_str()), ("POST", INCIDENTS_PATH));
        assert_eq!(
            json_of(&bare),
            json!({ "prompt": "db down", "title": null, "severity": null, "idempotency_key": null })
        );
        assert_eq!(
            parse_body::<CreateIncident>(&bare.body).unwrap(),
            CreateIncident {
                prompt: "db down".into(),
                title: None,
                severity: None,
                idempotency_key: None
            }
        );
        let full = create_incident("db down", Some("DB"), Some(Severity::High), Some("k-1"));
        assert_eq!(
            json_of(&full),
            json!({ "prompt": "db down", "title": "DB", "severity": "high", "idempotency_key": "k-1" })
        );
        let parsed: CreateIncident = parse_body(&full.body).unwrap();
        assert_eq!(parsed.severity, Some(Severity::High));
        assert_eq!(parsed.checked_idempotency_key().unwrap(), Some("k-1"));
    }

    #[test]
    fn change_bodies_parse_into_the_intended_commands() {
        assert_eq!(
            as_server_command(&set_severity("i", Severity::Medium)),
            Command::SetSeverity {
                severity: Severity::Medium
            }
        );
        assert_eq!(
            as_server_command(&set_assignee("i", Some("alice"))),
            Command::SetAssignee {
                assignee: Some("alice".into())
            }
        );
        // Clearing sends an explicit null: the server refuses a missing assignee.
        let clear = set_assignee("i", None);
        assert_eq!(json_of(&clear), json!({ "assignee": null }));
        assert_eq!(
            as_server_command(&clear),
            Command::SetAssignee { assignee: None }
        );
        // An empty message is still sent: the field is required.
        let declined = update_status("i", Status::Declined, "");
        assert_eq!(
            json_of(&declined),
            json!({ "status": "declined", "message": "" })
        );
        assert_eq!(
            as_server_command(&add_message("i", "hi", "m-1")),
            Command::AddMessage {
                message: "hi".into(),
                message_id: "m-1".into(),
                user_id: "u".into()
            }
        );
    }

    #[test]
    fn affection_bodies_parse_into_the_intended_commands() {
        let services = [
            AffectedService {
                id: "api".into(),
                impact: Impact::Partial,
            },
            AffectedService {
                id: "db".into(),
                impact: Impact::Major,
            },
        ];
        let created = create_affection("i", "Degraded API", &services, "looking");
        assert_eq!(
            json_of(&created)["services"],
            json!([{ "id": "api", "impact": "partial" }, { "id": "db", "impact": "major" }])
        );
        assert_eq!(
            as_server_command(&created),
            Command::CreateAffection {
                title: "Degraded API".into(),
                services: services.to_vec(),
                message: "looking".into(),
                created_by: "u".into()
            }
        );
        let resolved = update_affection("i", "fixed", Some(AffectionStatus::Resolved), &[]);
        assert_eq!(resolved.path, "/dashboard/incidents/i/affection/updates");
        assert_eq!(
            as_server_command(&resolved),
            Command::UpdateAffection {
                message: "fixed".into(),
                status: Some(AffectionStatus::Resolved),
                services: None,
                created_by: "u".into()
            }
        );
        // No status: sent as null, read as "no status change".
        let message_only = update_affection("i", "still", None, &[]);
        assert_eq!(
            json_of(&message_only),
            json!({ "message": "still", "status": null })
        );
        assert_eq!(
            as_server_command(&message_only),
            Command::UpdateAffection {
                message: "still".into(),
                status: None,
                services: None,
                created_by: "u".into()
            }
        );
        let impact = update_affection("i", "api recovered", None, &services[..1]);
        assert_eq!(
            json_of(&impact),
            json!({ "message": "api recovered", "status": null,
                    "services": [{ "id": "api", "impact": "partial" }] })
        );
        assert_eq!(
            as_server_command(&impact),
            Command::UpdateAffection {
                message: "api recovered".into(),
                status: None,
                services: Some(services[..1].to_vec()),
                created_by: "u".into()
            }
        );
    }

    #[test]
    fn reads_are_gets_without_a_body_and_replay_posts_an_empty_object() {
        for (request, path) in [
            (
                list_incidents(&ListQuery::default()),
                "/dashboard/incidents",
            ),
            (
                list_incidents(&ListQuery {
                    limit: 2,
                    ..ListQuery::default()
                }),
                "/dashboard/incidents?limit=2",
            ),
            (show_incident("i"), "/dashboard/incidents/i"),
            (workflow_status("i"), "/dashboard/incidents/i/workflow"),
            (dead_letters("i"), "/dashboard/incidents/i/dead-letters"),
        ] {
            assert_eq!((request.method, request.path.as_str()), ("GET", path));
            assert!(request.body.is_empty(), "{path}");
        }
        let replayed = replay("i", 12);
        assert_eq!(
            (replayed.method, replayed.path.as_str()),
            ("POST", "/dashboard/incidents/i/dead-letters/12/replay")
        );
        assert_eq!(json_of(&replayed), json!({}));
        assert!(parse_body::<Replay>(&replayed.body).is_ok());
    }

    #[test]
    fn the_default_message_id_names_the_moment_and_process() {
        assert_eq!(
            default_message_id(1_700_000_000_123, 42),
            "cli-1700000000123-42"
        );
    }
}
