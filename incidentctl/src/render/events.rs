//! One line per timeline event, from the core's own payload types chosen by event type.

use super::text::{arrow, quoted, shorten, SUMMARY_WIDTH};
use incidentd_core::model::AffectedService;
use incidentd_core::{
    AffectionUpdated, AssigneeUpdated, EventData, IncidentCreated, MessageAdded, SeverityUpdated,
    StatusUpdated,
};
use serde_json::Value;

/// A human summary of an event's data; generic for event types this build does not know.
pub fn event_summary(kind: &str, data: &Value) -> String {
    let typed = match EventData::from_json(kind, data) {
        Some(Ok(event)) => summary_of_kind(&event),
        // Added to the server after this build, or data of a known kind that does not decode
        // (stored by an older or newer server): still shown, never an error.
        None | Some(Err(_)) => None,
    };
    typed.unwrap_or_else(|| generic_summary(data))
}

/// Every kind of the core's one list is named here, so a new kind does not build until it is
/// given a summary or, like the last ones, shown as its data.
fn summary_of_kind(event: &EventData) -> Option<String> {
    let line = match event {
        EventData::Created(e) => e.summary(),
        EventData::Status(e) => e.summary(),
        EventData::Severity(e) => e.summary(),
        EventData::Assignee(e) => e.summary(),
        EventData::Message(e) => e.summary(),
        EventData::Affection(e) => e.summary(),
        EventData::Prompt(_)
        | EventData::Suggestion(_)
        | EventData::SuggestionResolved(_)
        | EventData::Details(_)
        | EventData::TriageNote(_)
        | EventData::EffectDismissed(_) => return None,
    };
    Some(line)
}

/// Any data as compact, shortened JSON (nothing for `null`).
pub fn generic_summary(data: &Value) -> String {
    match data {
        Value::Null => String::new(),
        other => shorten(&other.to_string(), SUMMARY_WIDTH),
    }
}

/// The one-line summary of an event payload.
trait Summary {
    fn summary(&self) -> String;
}

impl Summary for IncidentCreated {
    fn summary(&self) -> String {
        format!(
            "{} ({}) by {}",
            quoted(&self.title),
            self.severity.as_str(),
            self.created_by
        )
    }
}

impl Summary for StatusUpdated {
    fn summary(&self) -> String {
        arrow(self.status.as_str(), Some(&self.message))
    }
}

impl Summary for SeverityUpdated {
    fn summary(&self) -> String {
        format!("→ {}", self.severity.as_str())
    }
}

impl Summary for AssigneeUpdated {
    fn summary(&self) -> String {
        format!("→ {}", self.assignee.as_deref().unwrap_or("unassigned"))
    }
}

impl Summary for MessageAdded {
    fn summary(&self) -> String {
        shorten(&self.message, SUMMARY_WIDTH)
    }
}

/// The first affection update creates it (title and services set); later ones carry a message
/// and maybe a new status.
impl Summary for AffectionUpdated {
    fn summary(&self) -> String {
        let Some(title) = &self.title else {
            return match self.status {
                Some(status) => arrow(status.as_str(), Some(&self.message)),
                None => quoted(&self.message),
            };
        };
        let mut line = format!("created {}", quoted(title));
        if let Some(services) = &self.services {
            line.push_str(&format!(" [{}]", services_list(services)));
        }
        if !self.message.trim().is_empty() {
            line.push_str(&format!(": {}", quoted(&self.message)));
        }
        line
    }
}

/// `api:major, db:partial`.
pub fn services_list(services: &[AffectedService]) -> String {
    let items: Vec<String> = services
        .iter()
        .map(|s| format!("{}:{}", s.id, s.impact.as_str()))
        .collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_core::model::{event_type, AffectionStatus, Impact};
    use incidentd_core::{Severity, Source, Status};
    use serde::Serialize;
    use serde_json::json;

    /// An event payload as the server stores and sends it.
    fn summary_of(kind: &str, payload: &impl Serialize) -> String {
        event_summary(kind, &serde_json::to_value(payload).unwrap())
    }

    fn affection(
        title: Option<&str>,
        status: Option<AffectionStatus>,
        message: &str,
    ) -> AffectionUpdated {
        AffectionUpdated {
            message: message.into(),
            created_by: "demo-user".into(),
            status,
            title: title.map(Into::into),
            services: title.map(|_| {
                vec![
                    AffectedService {
                        id: "api".into(),
                        impact: Impact::Major,
                    },
                    AffectedService {
                        id: "db".into(),
                        impact: Impact::Partial,
                    },
                ]
            }),
        }
    }

    #[test]
    fn incident_created_shows_title_severity_and_author() {
        let created = IncidentCreated {
            status: Status::Open,
            severity: Severity::Low,
            title: "Checkout is failing".into(),
            description: "Checkout is failing\nsince 10:02".into(),
            prompt: "Checkout is failing\nsince 10:02".into(),
            created_by: "demo-user".into(),
            source: Source::Dashboard,
            assignee: None,
        };
        assert_eq!(
            summary_of(event_type::INCIDENT_CREATED, &created),
            r#""Checkout is failing" (low) by demo-user"#
        );
    }

    #[test]
    fn status_update_shows_the_message_only_when_given() {
        let with = StatusUpdated {
            status: Status::Mitigating,
            message: "rolled back".into(),
        };
        assert_eq!(
            summary_of(event_type::STATUS_UPDATE, &with),
            r#"→ mitigating: "rolled back""#
        );
        let without = StatusUpdated {
            status: Status::Resolved,
            message: String::new(),
        };
        assert_eq!(
            summary_of(event_type::STATUS_UPDATE, &without),
            "→ resolved"
        );
    }

    #[test]
    fn severity_and_assignee_updates_show_the_new_value() {
        let high = SeverityUpdated {
            severity: Severity::High,
        };
        assert_eq!(summary_of(event_type::SEVERITY_UPDATE, &high), "→ high");
        let bob = AssigneeUpdated {
            assignee: Some("bob".into()),
        };
        assert_eq!(summary_of(event_type::ASSIGNEE_UPDATE, &bob), "→ bob");
        let nobody = AssigneeUpdated { assignee: None };
        assert_eq!(
            summary_of(event_type::ASSIGNEE_UPDATE, &nobody),
            "→ unassigned"
        );
    }

    #[test]
    fn a_message_is_flattened_and_shortened() {
        let message = |text: String| MessageAdded {
            message: text,
            message_id: "m-1".into(),
            user_id: "demo-user".into(),
        };
        assert_eq!(
            summary_of(
                event_type::MESSAGE_ADDED,
                &message("first line\n  second line".into())
            ),
            "first line second line"
        );
        let long = summary_of(event_type::MESSAGE_ADDED, &message("x".repeat(200)));
        assert_eq!(long.chars().count(), SUMMARY_WIDTH);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn affection_creation_and_updates_read_differently() {
        let kind = event_type::AFFECTION_UPDATE;
        assert_eq!(
            summary_of(
                kind,
                &affection(
                    Some("Degraded API"),
                    Some(AffectionStatus::Investigating),
                    "looking"
                )
            ),
            r#"created "Degraded API" [api:major, db:partial]: "looking""#
        );
        assert_eq!(
            summary_of(
                kind,
                &affection(None, Some(AffectionStatus::Resolved), "fix deployed")
            ),
            r#"→ resolved: "fix deployed""#
        );
        assert_eq!(
            summary_of(kind, &affection(None, None, "still looking")),
            r#""still looking""#
        );
    }

    #[test]
    fn unknown_event_types_render_generically() {
        assert_eq!(
            event_summary("RUNBOOK_LINKED", &json!({ "url": "https://r/1" })),
            r#"{"url":"https://r/1"}"#
        );
        assert_eq!(event_summary("RUNBOOK_LINKED", &Value::Null), "");
        let long = event_summary("RUNBOOK_LINKED", &json!({ "notes": "y".repeat(200) }));
        assert_eq!(long.chars().count(), SUMMARY_WIDTH);
    }

    #[test]
    fn known_types_of_an_unexpected_shape_render_generically() {
        // A severity outside the core's words: not this build's `SeverityUpdated`.
        assert_eq!(
            event_summary(
                event_type::SEVERITY_UPDATE,
                &json!({ "severity": "critical" })
            ),
            r#"{"severity":"critical"}"#
        );
    }
}
