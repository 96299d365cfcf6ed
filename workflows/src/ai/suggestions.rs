//! What an agent turn asks of the model and what it keeps of the answers: the request
//! (prompt files rendered with the incident and the turn's new events), the suggestion tools
//! (built from what is allowed now, each offered until used once), and the normalisation of a
//! tool call into a suggestion, or the reason it is dropped (a no-op, an invalid transition, a
//! repeat of an earlier suggestion).

use super::guidance::ServiceGuide;
use super::record::timeline;
use super::template::{self, render};
use super::tool_schema::{
    affection_status_or_null, closed_object, services, services_or_null,
    status_page_incident_properties, status_page_update_properties, text,
};
use incidentd_core::decide::{change_command, decide, Decision};
use incidentd_core::model::{event_type, AffectionStatus, IncidentState, Severity, Status};
use incidentd_core::object::AgentTurn;
use incidentd_core::{IncidentView, SuggestedChange, SuggestionAdded, SuggestionResolved};
use incidentd_llm::{ChatMessage, ChatRequest, Tool, ToolCall};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const INSTRUCTIONS: &str = include_str!("../../prompts/suggest.md");
const RECORD: &str = include_str!("../../prompts/suggest-record.md");
/// Events shown before the turn's range, and at most of the range itself (newest kept).
const EARLIER_EVENTS: usize = 20;
const NEW_EVENTS: usize = 40;

/// Model calls per turn, and suggestions kept per turn.
pub const MAX_CALLS: usize = 5;
pub const MAX_SUGGESTIONS: usize = 3;

pub const SUGGEST_STATUS: &str = "suggest_status";
pub const SUGGEST_SEVERITY: &str = "suggest_severity";
pub const SUGGEST_STATUS_PAGE_INCIDENT: &str = "suggest_status_page_incident";
pub const SUGGEST_STATUS_PAGE_UPDATE: &str = "suggest_status_page_update";

/// A normalised proposal, ready to be stored as `SUGGESTION_ADDED`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub change: SuggestedChange,
    pub rationale: Option<String>,
    pub dedupe_key: String,
}

/// One round of the conversation: what the model called and what each call came to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub content: Option<String>,
    /// `(call id, tool name, arguments)`.
    pub calls: Vec<(String, String, Value)>,
    /// One result per call, in order: what the model is told.
    pub results: Vec<String>,
}

fn rationale_property() -> Value {
    json!({ "type": "string", "description": "One sentence: which events support it." })
}

/// `properties` and the rationale every proposal gives.
fn with_rationale(mut properties: Value) -> Value {
    properties["rationale"] = rationale_property();
    properties
}

/// The tools that can propose something for `incident` now, minus those `used` this turn.
pub fn tools(incident: &IncidentState, used: &[String]) -> Vec<Tool> {
    if incident.status.is_terminal() {
        return Vec::new();
    }
    let mut tools = Vec::new();
    let next: Vec<&str> = [Status::Mitigating, Status::Resolved, Status::Declined]
        .into_iter()
        .filter(|s| incident.status.can_move_to(*s))
        .map(Status::as_str)
        .collect();
    if !next.is_empty() {
        tools.push(Tool {
            name: SUGGEST_STATUS.into(),
            description: "Propose moving the incident's status, with the message for the timeline."
                .into(),
            parameters: closed_object(with_rationale(json!({
                "status": { "type": "string", "enum": next },
                "message": { "type": "string" },
            }))),
        });
    }
    let severities: Vec<&str> = [Severity::Low, Severity::Medium, Severity::High]
        .into_iter()
        .filter(|s| *s != incident.severity)
        .map(Severity::as_str)
        .collect();
    tools.push(Tool {
        name: SUGGEST_SEVERITY.into(),
        description: "Propose a different severity.".into(),
        parameters: closed_object(with_rationale(json!({
            "severity": { "type": "string", "enum": severities },
        }))),
    });
    match &incident.affection {
        None if !incident.services.is_empty() => tools.push(Tool {
            name: SUGGEST_STATUS_PAGE_INCIDENT.into(),
            description: "Propose opening the public status-page incident (customers read it): \
                a title, the affected services with their impact, and the first update. It \
                opens as investigating."
                .into(),
            parameters: closed_object(with_rationale(status_page_incident_properties(incident))),
        }),
        None => {}
        Some(affection) => tools.push(Tool {
            name: SUGGEST_STATUS_PAGE_UPDATE.into(),
            description: "Propose an update on the public status page; optionally moving its \
                status forward and setting the impact of services (null keeps them)."
                .into(),
            parameters: closed_object(with_rationale(status_page_update_properties(
                incident,
                affection.status,
            ))),
        }),
    }
    tools.retain(|t| !used.contains(&t.name));
    tools
}

/// Suggestions already made on this incident, with what became of them.
pub fn earlier(view: &IncidentView) -> Vec<(SuggestionAdded, Option<SuggestionResolved>)> {
    let decode = |kind: &'static str| {
        view.timeline
            .iter()
            .filter(move |e| e.event_type == kind)
            .map(|e| e.data.clone())
    };
    let resolved: Vec<SuggestionResolved> = decode(event_type::SUGGESTION_RESOLVED)
        .filter_map(|d| sluice::json::from_value(&d).ok())
        .collect();
    decode(event_type::SUGGESTION_ADDED)
        .filter_map(|d| sluice::json::from_value::<SuggestionAdded>(&d).ok())
        .map(|s| {
            let outcome = resolved
                .iter()
                .find(|r| r.suggestion_id == s.suggestion_id)
                .cloned();
            (s, outcome)
        })
        .collect()
}

fn earlier_text(view: &IncidentView) -> String {
    let lines: Vec<String> = earlier(view)
        .iter()
        .map(|(s, outcome)| {
            let state = outcome.as_ref().map_or("open", |r| r.outcome.as_str());
            format!("- {} ({state})", s.change.summary())
        })
        .collect();
    if lines.is_empty() {
        "none".into()
    } else {
        lines.join("\n")
    }
}

/// `view` with only the events `keep` selects, the last `at_most` of them.
fn events(view: &IncidentView, keep: impl Fn(i64) -> bool, at_most: usize) -> String {
    let part = IncidentView {
        incident: view.incident.clone(),
        timeline: view
            .timeline
            .iter()
            .filter(|e| keep(e.event_id))
            .cloned()
            .collect(),
    };
    match timeline(&part, at_most) {
        text if text.is_empty() => "none".into(),
        text => text,
    }
}

/// The request for the next call of `turn`: the record, then the conversation so far, with
/// the tools not used yet.
pub fn request(
    view: &IncidentView,
    turn: &AgentTurn,
    conversation: &[Exchange],
    used: &[String],
    guides: &[ServiceGuide],
) -> Result<ChatRequest, String> {
    let incident = &view.incident;
    let mut values = template::incident_values(incident, guides);
    values.extend([
        ("earlier", earlier_text(view)),
        (
            "timeline",
            events(view, |id| id < turn.from_event_id, EARLIER_EVENTS),
        ),
        ("from", turn.from_event_id.to_string()),
        ("to", turn.to_event_id.to_string()),
        (
            "new",
            events(
                view,
                |id| (turn.from_event_id..=turn.to_event_id).contains(&id),
                NEW_EVENTS,
            ),
        ),
    ]);
    let mut messages = vec![
        ChatMessage::System(INSTRUCTIONS.trim_end().to_owned()),
        ChatMessage::User(render(RECORD, &values)?.trim_end().to_owned()),
    ];
    for exchange in conversation {
        messages.push(ChatMessage::Assistant {
            content: exchange.content.clone(),
            tool_calls: exchange
                .calls
                .iter()
                .map(|(id, name, arguments)| ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                })
                .collect(),
        });
        for ((id, _, _), result) in exchange.calls.iter().zip(&exchange.results) {
            messages.push(ChatMessage::Tool {
                tool_call_id: id.clone(),
                content: result.clone(),
            });
        }
    }
    Ok(ChatRequest {
        messages,
        tools: tools(incident, used),
        max_output_tokens: Some(600),
        temperature: Some(0.2),
        ..ChatRequest::default()
    })
}

/// The proposed change of a tool call, as the model wrote it.
fn change_of(name: &str, arguments: &Value) -> Result<SuggestedChange, String> {
    match name {
        SUGGEST_STATUS => Ok(SuggestedChange::Status {
            status: Status::try_from(text(arguments, "status")?)?,
            message: text(arguments, "message")?,
        }),
        SUGGEST_SEVERITY => Ok(SuggestedChange::Severity {
            severity: Severity::try_from(text(arguments, "severity")?)?,
        }),
        SUGGEST_STATUS_PAGE_INCIDENT => Ok(SuggestedChange::StatusPageIncident {
            title: text(arguments, "title")?,
            services: services(arguments, "services")?,
            message: text(arguments, "message")?,
        }),
        SUGGEST_STATUS_PAGE_UPDATE => Ok(SuggestedChange::StatusPageUpdate {
            message: text(arguments, "message")?,
            status: affection_status_or_null(arguments, "status")?,
            services: services_or_null(arguments, "services")?,
        }),
        other => Err(format!("there is no tool `{other}`")),
    }
}

/// The stable key of a change from the current state: the same proposal from the same state is
/// the same suggestion, whatever the wording.
pub fn dedupe_key(incident: &IncidentState, change: &SuggestedChange) -> String {
    match change {
        SuggestedChange::Status { status, .. } => {
            format!("status:{}->{}", incident.status.as_str(), status.as_str())
        }
        SuggestedChange::Severity { severity } => {
            format!(
                "severity:{}->{}",
                incident.severity.as_str(),
                severity.as_str()
            )
        }
        SuggestedChange::StatusPageUpdate { status, .. } => {
            let updates = incident.affection.as_ref().map_or(0, |a| a.updates);
            let to = status.map_or("same", AffectionStatus::as_str);
            format!("status_page:{updates}->{to}")
        }
        // One public incident per incident: proposed once, whatever its wording.
        SuggestedChange::StatusPageIncident { .. } => "status_page:open".into(),
    }
}

/// Checks a tool call against the incident now: a suggestion, or why it is dropped.
/// `seen` holds the dedupe keys of earlier suggestions and of this turn's.
pub fn normalise(
    incident: &IncidentState,
    name: &str,
    arguments: &Value,
    seen: &BTreeSet<String>,
) -> Result<Draft, String> {
    let change = change_of(name, arguments)?;
    match &change {
        SuggestedChange::Status { status, .. } if *status == incident.status => {
            return Err(format!("the status is {} already", status.as_str()))
        }
        SuggestedChange::Status { status, .. } if !incident.status.can_move_to(*status) => {
            return Err(format!(
                "the status cannot move from {} to {}",
                incident.status.as_str(),
                status.as_str()
            ))
        }
        SuggestedChange::Severity { severity } if *severity == incident.severity => {
            return Err(format!("the severity is {} already", severity.as_str()))
        }
        SuggestedChange::StatusPageUpdate {
            status, message, ..
        } => {
            let Some(affection) = &incident.affection else {
                return Err("there is no status-page incident".into());
            };
            if status.is_some_and(|s| s <= affection.status) {
                return Err("the status-page status only moves forward".into());
            }
            if message.is_empty() {
                return Err("the update has no message".into());
            }
        }
        SuggestedChange::StatusPageIncident { .. } if incident.affection.is_some() => {
            return Err("the status-page incident is open already; propose an update".into())
        }
        _ => {}
    }
    // Whatever else the change itself would be refused for (an unknown service, a title too
    // long), the model is told now rather than the suggestion being dropped when stored.
    match decide(incident, change_command(&change, "agent")) {
        Err(refused) => return Err(refused.to_string()),
        Ok(Decision::Unchanged) => return Err("it changes nothing now".into()),
        Ok(_) => {}
    }
    let dedupe_key = dedupe_key(incident, &change);
    if seen.contains(&dedupe_key) {
        return Err("it was suggested before".into());
    }
    let rationale = text(arguments, "rationale").ok().filter(|r| !r.is_empty());
    Ok(Draft {
        change,
        rationale,
        dedupe_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_core::model::Affection;

    fn open() -> IncidentState {
        let mut incident = incidentd_core::testing::state("inc", 1, Status::Open, "t");
        incident.severity = Severity::Medium;
        incident
    }

    fn names(tools: &[Tool]) -> Vec<&str> {
        tools.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn tools_offer_what_is_allowed_now_and_each_only_until_used() {
        let incident = open();
        let offered = tools(&incident, &[]);
        assert_eq!(names(&offered), [SUGGEST_STATUS, SUGGEST_SEVERITY]);
        assert_eq!(
            offered[0].parameters["properties"]["status"]["enum"],
            json!(["mitigating", "resolved", "declined"])
        );
        assert_eq!(
            offered[1].parameters["properties"]["severity"]["enum"],
            json!(["low", "high"])
        );
        let mut with_page = open();
        with_page.affection = Some(Affection {
            title: "Checkout degraded".into(),
            services: Vec::new(),
            status: AffectionStatus::Mitigating,
            updates: 2,
        });
        let offered = tools(&with_page, &[SUGGEST_STATUS.to_owned()]);
        assert_eq!(
            names(&offered),
            [SUGGEST_SEVERITY, SUGGEST_STATUS_PAGE_UPDATE]
        );
        assert_eq!(
            offered[1].parameters["properties"]["status"]["enum"],
            json!(["resolved", null])
        );
        let mut closed = open();
        closed.status = Status::Resolved;
        assert!(tools(&closed, &[]).is_empty());
    }

    #[test]
    fn no_ops_invalid_transitions_and_repeats_are_dropped() {
        let mut incident = open();
        incident.status = Status::Mitigating;
        let none = BTreeSet::new();
        let status = |s: &str| json!({ "status": s, "message": "m", "rationale": "r" });
        let dropped = |name: &str, args: Value, seen: &BTreeSet<String>| {
            normalise(&incident, name, &args, seen).unwrap_err()
        };
        assert!(dropped(SUGGEST_STATUS, status("mitigating"), &none).contains("already"));
        assert!(dropped(SUGGEST_STATUS, status("open"), &none).contains("cannot move"));
        assert!(dropped(
            SUGGEST_SEVERITY,
            json!({ "severity": "medium", "rationale": "" }),
            &none
        )
        .contains("already"));
        assert!(dropped(
            SUGGEST_STATUS_PAGE_UPDATE,
            json!({ "message": "m", "status": null, "rationale": "" }),
            &none
        )
        .contains("no status-page"));
        assert!(dropped("drop_tables", json!({}), &none).contains("no tool"));

        let kept = normalise(&incident, SUGGEST_STATUS, &status("resolved"), &none).unwrap();
        assert_eq!(kept.dedupe_key, "status:mitigating->resolved");
        assert_eq!(kept.rationale.as_deref(), Some("r"));
        let seen = BTreeSet::from([kept.dedupe_key]);
        assert!(dropped(SUGGEST_STATUS, status("resolved"), &seen).contains("before"));
    }
}
