//! Fixtures for tests and benchmarks across the workspace: incidents and forwarded messages.

use crate::effects::IncidentCreated;
use crate::model::{IncidentMessage, IncidentState, Severity, Source, Status};
use std::collections::BTreeMap;

/// An incident of tenant `demo` as of `event_id`, titled `title`.
pub fn state(incident_id: &str, event_id: i64, status: Status, title: &str) -> IncidentState {
    IncidentState {
        id: incident_id.into(),
        tenant_id: "demo".into(),
        status,
        severity: Severity::High,
        title: title.into(),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
        entry_point_id: None,
        services: Vec::new(),
        affection: None,
        metadata: BTreeMap::new(),
        created_at: 1_000,
        updated_at: 1_000 * event_id,
        last_event_id: event_id,
    }
}

/// An `INCIDENT_CREATED` message carrying `state(..)` (the event type the fixtures' senders
/// all handle, so every registered sender sees it).
pub fn message(incident_id: &str, event_id: i64, status: Status, title: &str) -> IncidentMessage {
    let incident = state(incident_id, event_id, status, title);
    let data = IncidentCreated {
        status,
        severity: incident.severity,
        title: title.into(),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
    };
    IncidentMessage {
        incident_id: incident_id.into(),
        event_id,
        event_type: "INCIDENT_CREATED".into(),
        data: serde_json::to_value(data).expect("serialises"),
        at: 1_000 * event_id,
        incident,
    }
}
