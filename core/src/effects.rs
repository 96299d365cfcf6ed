//! What senders and dispatchers receive: [`IncidentEvent`], the envelope of one delivered
//! event with its typed payload, and the payload types. The kinds themselves, and the
//! [`IncidentSender`] trait with one method per kind, are declared in [`crate::events`].

pub use crate::events::IncidentSender;
use crate::model::{
    Actor, AffectedService, AffectionStatus, IncidentMessage, IncidentState, Severity, Source,
    Status,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sluice::registry::{FromSenderCall, SenderCall};
use sluice::{EffectError, EventKind};
use std::ops::Deref;

/// The workflow class that fans incident events out.
pub const INCIDENT_WORKFLOW: &str = "IncidentWorkflow";

/// One delivered event: its envelope, the incident as of the event, and its typed data
/// (reachable directly: `event.title` derefs to the data).
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentEvent<T> {
    pub incident_id: String,
    pub event_id: i64,
    pub at: i64,
    pub incident: IncidentState,
    /// Who made the change (absent on events recorded before actors were). Effects decide
    /// from it, before any I/O, what came from where (a Slack user's message is in Slack).
    pub actor: Option<Actor>,
    pub data: T,
}

impl<T> Deref for IncidentEvent<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

/// A handler taking `&IncidentEvent<T>` handles `T`'s event type.
impl<T: EventKind + DeserializeOwned> FromSenderCall for IncidentEvent<T> {
    const WORKFLOW: &'static str = INCIDENT_WORKFLOW;
    const EVENT: &'static str = T::EVENT_TYPE;

    fn from_call(call: &SenderCall) -> Result<Self, EffectError> {
        // A message that does not decode will never decode: retrying cannot help.
        let message: IncidentMessage = sluice::json::from_value(&call.message)
            .map_err(|e| EffectError::non_retryable(format!("not an incident message: {e}")))?;
        let data = sluice::json::from_value(&message.data)
            .map_err(|e| EffectError::non_retryable(format!("{} data: {e}", message.event_type)))?;
        Ok(IncidentEvent {
            incident_id: message.incident_id,
            event_id: message.event_id,
            at: message.at,
            incident: message.incident,
            actor: message.actor,
            data,
        })
    }
}

/// `INCIDENT_CREATED`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentCreated {
    pub status: Status,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub prompt: String,
    pub created_by: String,
    pub source: Source,
    pub assignee: Option<String>,
}

impl IncidentCreated {
    /// What declaring `incident` as it is records.
    pub fn of(incident: &IncidentState) -> Self {
        Self {
            status: incident.status,
            severity: incident.severity,
            title: incident.title.clone(),
            description: incident.description.clone(),
            prompt: incident.prompt.clone(),
            created_by: incident.created_by.clone(),
            source: incident.source,
            assignee: incident.assignee.clone(),
        }
    }
}

/// `STATUS_UPDATE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusUpdated {
    pub status: Status,
    pub message: String,
}

/// `SEVERITY_UPDATE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeverityUpdated {
    pub severity: Severity,
}

/// `ASSIGNEE_UPDATE`; `None` clears it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssigneeUpdated {
    pub assignee: Option<String>,
}

/// `MESSAGE_ADDED`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageAdded {
    pub message: String,
    pub message_id: String,
    pub user_id: String,
}

/// `AFFECTION_UPDATE`: the first one creates the public incident (title and services set); a
/// later one may set the impact of the services it names (`services`), the others unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AffectionUpdated {
    pub message: String,
    pub created_by: String,
    pub status: Option<AffectionStatus>,
    pub title: Option<String>,
    pub services: Option<Vec<AffectedService>>,
}

/// `PROMPT_ADDED`: someone asked the incident agent something; `IncidentPromptWorkflow`
/// answers it. `prompt_id` is unique per incident (a retried request reuses it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromptAdded {
    pub prompt: String,
    pub prompt_id: String,
    pub user_id: String,
}

/// A change the incident agent proposes; a person applies or dismisses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SuggestedChange {
    Status {
        status: Status,
        message: String,
    },
    Severity {
        severity: Severity,
    },
    /// An update on the public status page; `status` moves it forward (`None` keeps it), and
    /// `services` sets the impact of the services it names (`None` leaves them as they are).
    StatusPageUpdate {
        message: String,
        status: Option<AffectionStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        services: Option<Vec<AffectedService>>,
    },
    /// Opening the public status-page incident (it starts as investigating).
    StatusPageIncident {
        title: String,
        services: Vec<AffectedService>,
        message: String,
    },
}

/// `checkout: major, api: partial`: services with their impact, for people.
pub fn impacts(services: &[AffectedService]) -> String {
    services
        .iter()
        .map(|s| format!("{}: {}", s.id, s.impact.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SuggestedChange {
    /// One line for people: what applying it does.
    pub fn summary(&self) -> String {
        match self {
            SuggestedChange::Status { status, message } => {
                format!("set the status to {}: {message}", status.as_str())
            }
            SuggestedChange::Severity { severity } => {
                format!("set the severity to {}", severity.as_str())
            }
            SuggestedChange::StatusPageUpdate {
                message,
                status,
                services,
            } => {
                let details: Vec<String> = status
                    .map(|s| s.as_str().to_owned())
                    .into_iter()
                    .chain(services.as_deref().map(impacts))
                    .collect();
                if details.is_empty() {
                    format!("post a status-page update: {message}")
                } else {
                    format!(
                        "post a status-page update ({}): {message}",
                        details.join("; ")
                    )
                }
            }
            SuggestedChange::StatusPageIncident {
                title,
                services,
                message,
            } => format!(
                "open a status-page incident \"{title}\" ({}): {message}",
                impacts(services)
            ),
        }
    }
}

/// `SUGGESTION_ADDED`: the agent proposes a change (`IncidentAgentTurnWorkflow`). It changes
/// nothing until a person applies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuggestionAdded {
    /// Unique per incident; what Slack's buttons carry.
    pub suggestion_id: String,
    /// The same proposal from the same state has the same key, so it is made once per
    /// incident (`status:open->mitigating`).
    pub dedupe_key: String,
    pub change: SuggestedChange,
    /// Why, in the agent's words.
    pub rationale: Option<String>,
    /// The events the agent turn read (inclusive).
    pub from_event_id: i64,
    pub to_event_id: i64,
}

/// What became of a suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionOutcome {
    Applied,
    Dismissed,
}

impl SuggestionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionOutcome::Applied => "applied",
            SuggestionOutcome::Dismissed => "dismissed",
        }
    }
}

/// `SUGGESTION_RESOLVED`: a person applied or dismissed a suggestion (once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuggestionResolved {
    pub suggestion_id: String,
    pub outcome: SuggestionOutcome,
    pub user_id: String,
    /// For `applied`: the event that made the change (`None` when it changed nothing).
    pub change_event_id: Option<i64>,
}

/// `DETAILS_UPDATE`: the title and the description changed together (AI triage rewrites
/// both at declaration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DetailsUpdated {
    pub title: String,
    pub description: String,
}

/// `TRIAGE_NOTE`: why AI triage left the incident as declared (no model, budget spent, a
/// timeout, an answer it could not trust). A timeline entry for people; nothing is notified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageNoted {
    pub message: String,
}

/// `EFFECT_DISMISSED`: an operator gave up on one effect of an event that ran out of
/// retries; the effect's lane goes on without it. A timeline entry; nothing is notified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EffectDismissed {
    /// The event whose effect is given up.
    pub event_id: i64,
    /// The sender or dispatcher (`slack`, `webhook`, ...).
    pub effect: String,
    /// The error it had failed with.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_page_suggestions_say_what_applying_them_publishes() {
        use crate::model::Impact;
        let checkout = AffectedService {
            id: "checkout".into(),
            impact: Impact::Major,
        };
        let open = SuggestedChange::StatusPageIncident {
            title: "Checkout unavailable".into(),
            services: vec![checkout.clone()],
            message: "We are investigating.".into(),
        };
        assert_eq!(
            open.summary(),
            "open a status-page incident \"Checkout unavailable\" (checkout: major): We are investigating."
        );
        let update = |status, services| SuggestedChange::StatusPageUpdate {
            message: "A fix is rolling out.".into(),
            status,
            services,
        };
        assert_eq!(
            update(None, None).summary(),
            "post a status-page update: A fix is rolling out."
        );
        assert_eq!(
            update(Some(AffectionStatus::Mitigating), Some(vec![checkout])).summary(),
            "post a status-page update (mitigating; checkout: major): A fix is rolling out."
        );
        // Suggestions stored before `services` existed still read.
        let stored: SuggestedChange = serde_json::from_value(serde_json::json!(
            { "kind": "status_page_update", "message": "m", "status": null }
        ))
        .unwrap();
        assert_eq!(
            stored,
            SuggestedChange::StatusPageUpdate {
                message: "m".into(),
                status: None,
                services: None
            }
        );
    }

    #[test]
    fn a_handler_parameter_names_its_payloads_event_type() {
        assert_eq!(
            <IncidentEvent<StatusUpdated> as FromSenderCall>::EVENT,
            crate::model::event_type::STATUS_UPDATE
        );
        assert_eq!(
            <IncidentEvent<AffectionUpdated> as FromSenderCall>::EVENT,
            "AFFECTION_UPDATE"
        );
    }
}
