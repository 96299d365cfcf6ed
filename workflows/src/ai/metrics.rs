//! Deterministic measures of how an incident went, from its timeline alone: no model involved,
//! so they are exact and exist even without an LLM.

use incidentd_core::model::{event_type, ActorKind, Status};
use incidentd_core::{IncidentView, StatusUpdated, TimelineEntry};

use incidentd_wire::analysis::IncidentMetrics;

/// Whether a person made the change. Events recorded before actors were came from the
/// dashboard API, i.e. from people.
fn by_a_person(entry: &TimelineEntry) -> bool {
    entry
        .actor
        .as_ref()
        .is_none_or(|a| matches!(a.kind, ActorKind::User | ActorKind::Slack))
}

fn status_of(entry: &TimelineEntry) -> Option<Status> {
    (entry.event_type == event_type::STATUS_UPDATE)
        .then(|| sluice::json::from_value::<StatusUpdated>(&entry.data).ok())
        .flatten()
        .map(|s| s.status)
}

/// The measures of `view`'s incident, from its timeline.
pub fn metrics(view: &IncidentView) -> IncidentMetrics {
    let start = view.incident.created_at;
    let since = |entry: &TimelineEntry| Some(entry.at - start);
    let first = |pick: &dyn Fn(&TimelineEntry) -> bool| {
        view.timeline.iter().find(|e| pick(e)).and_then(since)
    };
    let statuses: Vec<(Status, &TimelineEntry)> = view
        .timeline
        .iter()
        .filter_map(|e| status_of(e).map(|s| (s, e)))
        .collect();
    let first_status = |wanted: &[Status]| {
        statuses
            .iter()
            .find(|(s, _)| wanted.contains(s))
            .and_then(|(_, e)| since(e))
    };
    IncidentMetrics {
        time_to_first_human_response_ms: first(&|e| {
            e.event_type == event_type::MESSAGE_ADDED && by_a_person(e)
        }),
        time_to_mitigate_ms: first_status(&[Status::Mitigating, Status::Resolved]),
        time_to_resolve_ms: first_status(&[Status::Resolved, Status::Declined]),
        status_changes: statuses.len() as u32,
        messages: view
            .timeline
            .iter()
            .filter(|e| e.event_type == event_type::MESSAGE_ADDED)
            .count() as u32,
    }
}
