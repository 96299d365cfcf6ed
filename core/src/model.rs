//! Incident state and the data of its events.

/// A closed set of lowercase words: `as_str`, and parsing from a string only (so a number,
/// `null` or `{"high": null}` where a word is expected is rejected, not coerced).
macro_rules! word_enum {
    ($ty:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)+
                }
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($text),+] })
            }
        }

        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                match text.as_str() {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!(
                        "unknown variant `{other}`, expected one of {}",
                        [$(concat!("`", $text, "`")),+].join(", ")
                    )),
                }
            }
        }
    };
}

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Status {
    Open,
    Mitigating,
    Resolved,
    Declined,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Resolved | Status::Declined)
    }

    /// The transitions a caller may request: open → mitigating, open | mitigating →
    /// resolved | declined.
    pub fn can_move_to(self, next: Status) -> bool {
        matches!(
            (self, next),
            (Status::Open, Status::Mitigating)
                | (
                    Status::Open | Status::Mitigating,
                    Status::Resolved | Status::Declined
                )
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// Where an incident was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Source {
    Dashboard,
    Slack,
}

/// Who made a change; recorded on its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum ActorKind {
    /// A person through the dashboard API (`id` is their user id).
    User,
    /// A person through Slack (`id` is their Slack user id).
    Slack,
    /// The incident agent (AI workflows).
    Agent,
    /// AI triage at declaration.
    Triage,
    /// incidentd itself (an adapter's bookkeeping).
    System,
}

/// Who made a change, as the timeline shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Actor {
    pub fn user(id: impl Into<String>) -> Self {
        Self::with_id(ActorKind::User, id)
    }

    pub fn slack(id: impl Into<String>) -> Self {
        Self::with_id(ActorKind::Slack, id)
    }

    pub fn agent() -> Self {
        Self::of(ActorKind::Agent)
    }

    pub fn triage() -> Self {
        Self::of(ActorKind::Triage)
    }

    pub fn system() -> Self {
        Self::of(ActorKind::System)
    }

    pub fn of(kind: ActorKind) -> Self {
        Self { kind, id: None }
    }

    pub fn with_id(kind: ActorKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: Some(id.into()),
        }
    }
}

/// A service of the tenant's catalog, as the status page knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Service {
    pub id: String,
    pub name: String,
}

/// Who is paged for what: an entry point of the tenant's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntryPoint {
    pub id: String,
    pub assignee: String,
    /// When to choose it (for the AI triage).
    pub prompt: String,
    /// Chosen when nothing else matches, or when the AI is unavailable.
    pub is_fallback: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum AffectionStatus {
    Investigating,
    Mitigating,
    Resolved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Impact {
    Partial,
    Major,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AffectedService {
    pub id: String,
    pub impact: Impact,
}

/// The public status-page incident derived from the affection updates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Affection {
    pub title: String,
    pub services: Vec<AffectedService>,
    pub status: AffectionStatus,
    pub updates: u32,
}

/// The derived state of one incident. Times are unix milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentState {
    pub id: String,
    pub tenant_id: String,
    pub status: Status,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub prompt: String,
    pub created_by: String,
    pub source: Source,
    pub assignee: Option<String>,
    #[serde(default)]
    pub entry_point_id: Option<String>,
    /// The tenant's services as of the incident's start (what affection may name).
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub affection: Option<Affection>,
    /// Free-form adapter metadata (a Slack channel, say), merged key by key. Never secrets.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The event that produced this state.
    pub last_event_id: i64,
}

pub use crate::events::event_type;

/// What the outbox forwards to `IncidentWorkflow` for each event: the event and the incident's
/// state as of that event (not as of the forwarding pass).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentMessage {
    pub incident_id: String,
    pub event_id: i64,
    pub event_type: String,
    pub data: Value,
    pub at: i64,
    pub incident: IncidentState,
    /// Who made the change, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The forwarder sends nothing more to this workflow instance: the incident is closed and
    /// no other event waits. (A dead letter replayed later goes to a new instance.)
    #[serde(default)]
    pub last: bool,
    /// Set when someone asked to retry effects of this event that ran out of retries: the
    /// instance runs only those, under new step names (`<step>#retry-<round>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<EffectRetry>,
    /// On the object's re-sends of a generation's tail: the dead letters replayed into this
    /// generation after newer events. Nothing newer reveals the loss of one of those, so the
    /// instance asks the object for any it did not handle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replayed: Vec<i64>,
}

/// Effects of one event to run again (see [`IncidentMessage::retry`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EffectRetry {
    /// Counts the retries of the event's effects: the instance handles each round once.
    pub round: i64,
    /// Effect names (`dashboard`, `slack`, ...).
    pub effects: Vec<String>,
}

word_enum!(Status { Open = "open", Mitigating = "mitigating", Resolved = "resolved", Declined = "declined" });
word_enum!(Severity { Low = "low", Medium = "medium", High = "high" });
word_enum!(ActorKind { User = "user", Slack = "slack", Agent = "agent", Triage = "triage", System = "system" });
word_enum!(Source { Dashboard = "dashboard", Slack = "slack" });
word_enum!(AffectionStatus { Investigating = "investigating", Mitigating = "mitigating", Resolved = "resolved" });
word_enum!(Impact { Partial = "partial", Major = "major" });
