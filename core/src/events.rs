//! The incident's event kinds, declared once.
//!
//! Each line of `incident_events!` names a kind's payload type, its wire name (as stored in
//! the outbox and the timeline), the constant other code matches on, the [`IncidentSender`]
//! method that handles it and a one-line summary. From that one list come: the payloads'
//! [`EventKind`] impls (which the registry, and so the manifest, read), the typed
//! [`EventData`] the Incident commits, the [`event_type`] constants, the sender trait, and
//! [`EVENT_KINDS`], which the docs table (`docs/events.md`, checked by a test) and the CLI
//! read. A new kind is one new line here; the compiler then points at every `match` that
//! must handle it.

use crate::effects::{
    AffectionUpdated, AssigneeUpdated, DetailsUpdated, EffectDismissed, IncidentCreated,
    IncidentEvent, MessageAdded, PromptAdded, SeverityUpdated, StatusUpdated, SuggestionAdded,
    SuggestionResolved, TriageNoted,
};
use serde_json::Value;
use sluice::registry::SendContext;
use sluice::{EffectError, EventKind};

/// One event kind as the docs and tools list it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventKindInfo {
    /// The wire name (`"STATUS_UPDATE"`).
    pub event_type: &'static str,
    /// The payload type's name (`"StatusUpdated"`).
    pub payload: &'static str,
    /// The [`IncidentSender`] method that handles it (`"status_update"`).
    pub sender_method: &'static str,
    /// What the event records, in one line.
    pub summary: &'static str,
}

macro_rules! incident_events {
    ($(
        $variant:ident($payload:ident) => $wire:literal, $constant:ident, $method:ident,
            $summary:literal;
    )+) => {
        $(impl EventKind for $payload {
            const EVENT_TYPE: &'static str = $wire;
        })+

        /// The data of one incident event, typed.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum EventData {
            $(#[doc = $summary] $variant($payload),)+
        }

        impl EventData {
            /// The wire name of this event's kind.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(EventData::$variant(_) => $wire,)+
                }
            }

            /// The payload as stored.
            pub fn to_json(&self) -> Value {
                let value = match self {
                    $(EventData::$variant(d) => serde_json::to_value(d),)+
                };
                // Plain structs of strings and enums: serialising cannot fail.
                value.unwrap_or(Value::Null)
            }

            /// Stored data read back by its kind: `None` for a kind this build does not know
            /// (recorded by a newer server), an error for data that is not its kind's shape.
            pub fn from_json(event_type: &str, data: &Value) -> Option<serde_json::Result<Self>> {
                match event_type {
                    $($wire => Some(<$payload as serde::Deserialize>::deserialize(data)
                        .map(EventData::$variant)),)+
                    _ => None,
                }
            }
        }

        /// Event type names as stored in the outbox and seen by senders.
        pub mod event_type {
            $(#[doc = $summary] pub const $constant: &str = $wire;)+
        }

        /// Every event kind, in declaration order.
        pub const EVENT_KINDS: &[EventKindInfo] = &[
            $(EventKindInfo {
                event_type: $wire,
                payload: stringify!($payload),
                sender_method: stringify!($method),
                summary: $summary,
            },)+
        ];

        /// The incident events an effect may handle, one method per kind. Implement the ones
        /// you handle; the rest are never called (each default does nothing).
        /// `#[sender]`/`#[dispatcher]` on an impl registers the implemented methods.
        #[allow(async_fn_in_trait)] // single-threaded Workers: no Send bound wanted
        pub trait IncidentSender {
            $(#[doc = $summary]
            async fn $method(
                &self,
                ctx: &SendContext,
                event: &IncidentEvent<$payload>,
            ) -> Result<(), EffectError> {
                let _ = (ctx, event);
                Ok(())
            })+
        }
    };
}

incident_events! {
    Created(IncidentCreated) => "INCIDENT_CREATED", INCIDENT_CREATED, incident_created,
        "An incident was declared.";
    Status(StatusUpdated) => "STATUS_UPDATE", STATUS_UPDATE, status_update,
        "The status changed (investigating, mitigating, resolved...), with a message.";
    Severity(SeverityUpdated) => "SEVERITY_UPDATE", SEVERITY_UPDATE, severity_update,
        "The severity changed.";
    Assignee(AssigneeUpdated) => "ASSIGNEE_UPDATE", ASSIGNEE_UPDATE, assignee_update,
        "The entry point or the person paged changed.";
    Message(MessageAdded) => "MESSAGE_ADDED", MESSAGE_ADDED, message_added,
        "A message was added to the timeline (dashboard, Slack or the agent).";
    Affection(AffectionUpdated) => "AFFECTION_UPDATE", AFFECTION_UPDATE, affection_update,
        "A status-page incident (an affection of services) was opened or updated.";
    Prompt(PromptAdded) => "PROMPT_ADDED", PROMPT_ADDED, prompt_added,
        "Someone asked the agent something.";
    Suggestion(SuggestionAdded) => "SUGGESTION_ADDED", SUGGESTION_ADDED, suggestion_added,
        "The agent suggested a change for a person to apply or dismiss.";
    SuggestionResolved(SuggestionResolved) => "SUGGESTION_RESOLVED", SUGGESTION_RESOLVED,
        suggestion_resolved, "A suggestion was applied or dismissed.";
    Details(DetailsUpdated) => "DETAILS_UPDATE", DETAILS_UPDATE, details_update,
        "The title or description changed.";
    TriageNote(TriageNoted) => "TRIAGE_NOTE", TRIAGE_NOTE, triage_note,
        "Why AI triage left the incident as declared (a timeline entry; nothing is notified).";
    EffectDismissed(EffectDismissed) => "EFFECT_DISMISSED", EFFECT_DISMISSED, effect_dismissed,
        "An operator gave up on one failed effect of an event (a timeline entry).";
}

/// The docs table of event kinds (`docs/events.md` holds it between its markers).
pub fn docs_table() -> String {
    let mut table = String::from("| Event type | Payload | Sender method | What it records |\n");
    table.push_str("|---|---|---|---|\n");
    for kind in EVENT_KINDS {
        table.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} |\n",
            kind.event_type, kind.payload, kind.sender_method, kind.summary
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Until events were typed, a handler's event type was its method name in capitals.
    /// Every kind must keep that wire name, or stored events would stop reaching handlers.
    #[test]
    fn every_event_type_is_its_handler_method_in_capitals() {
        for kind in EVENT_KINDS {
            assert_eq!(
                kind.event_type,
                kind.sender_method.to_ascii_uppercase(),
                "{}",
                kind.payload
            );
        }
    }

    #[test]
    fn wire_names_are_unique() {
        let names: BTreeSet<_> = EVENT_KINDS.iter().map(|k| k.event_type).collect();
        assert_eq!(names.len(), EVENT_KINDS.len());
    }

    #[test]
    fn stored_data_reads_back_as_its_kind() {
        let data = EventData::Severity(SeverityUpdated {
            severity: crate::model::Severity::High,
        });
        let back = EventData::from_json(data.event_type(), &data.to_json());
        assert_eq!(back.map(Result::ok), Some(Some(data)));
        assert!(EventData::from_json("NOT_A_KIND", &Value::Null).is_none());
        assert!(matches!(
            EventData::from_json(event_type::SEVERITY_UPDATE, &serde_json::json!({})),
            Some(Err(_))
        ));
    }
}
