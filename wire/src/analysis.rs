//! What the analysis routes answer: an incident's measures ([`IncidentMetrics`], computed from
//! its timeline by `incidentd_workflows::ai::metrics`) and its post-incident review
//! ([`Postmortem`], the model's answer, held to a strict schema by
//! `incidentd_workflows::ai::postmortem`). `incidentctl` decodes and renders them.

use serde::{Deserialize, Serialize};

/// Durations are milliseconds from the declaration; `None` when it never happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentMetrics {
    /// To the first message from a person (the agent, triage and incidentd itself excluded).
    pub time_to_first_human_response_ms: Option<i64>,
    /// To the first move to mitigating (or straight to resolved).
    pub time_to_mitigate_ms: Option<i64>,
    /// To the close (resolved or declined).
    pub time_to_resolve_ms: Option<i64>,
    pub status_changes: u32,
    pub messages: u32,
}

/// The model's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Postmortem {
    pub summary: String,
    pub timeline: Vec<Moment>,
    pub root_cause: String,
    pub impact: String,
    pub action_items: Vec<ActionItem>,
}

/// One moment of the review's timeline, in the model's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moment {
    pub at: String,
    pub event: String,
}

/// A follow-up the review proposes, with its owner when one is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    pub title: String,
    pub owner: Option<String>,
}
