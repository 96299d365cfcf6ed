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
    /// Moves from one status to another.
    pub status_changes: u32,
    /// Messages in the timeline, from anyone.
    pub messages: u32,
}

/// The model's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Postmortem {
    /// What happened, in a paragraph.
    pub summary: String,
    /// The moments that mattered, in order.
    pub timeline: Vec<Moment>,
    /// Why it happened, as far as the record shows.
    pub root_cause: String,
    /// Who and what was affected, and how much.
    pub impact: String,
    /// What should be done so it does not happen again.
    pub action_items: Vec<ActionItem>,
}

/// One moment of the review's timeline, in the model's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moment {
    /// When, as the model read it from the timeline.
    pub at: String,
    /// What happened then.
    pub event: String,
}

/// A follow-up the review proposes, with its owner when one is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// What to do.
    pub title: String,
    /// Who should do it, when the record names someone.
    pub owner: Option<String>,
}
