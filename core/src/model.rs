//! Incident state and events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// Where an incident was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Dashboard,
    Slack,
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
    pub created_at: i64,
    pub updated_at: i64,
    /// The event that produced this state.
    pub last_event_id: i64,
}

/// Event type names as stored in the outbox and seen by senders.
pub mod event_type {
    pub const INCIDENT_CREATED: &str = "INCIDENT_CREATED";
}

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
}

impl IncidentMessage {
    /// After this event the workflow has nothing more to wait for.
    pub fn is_terminal(&self) -> bool {
        self.incident.status.is_terminal()
    }
}
