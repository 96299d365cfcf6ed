//! The API's replies as types. Bodies the core defines are its own types (`Applied`,
//! `IncidentView`, `TimelineEntry`, `IncidentState`) and the list row is the adapter's
//! `IncidentSummary`; only the envelopes the router writes inline (`{"incident": …}`,
//! `{"dead_letters": […]}`, …) are declared here.

use incidentd_core::{IncidentState, IncidentView, TimelineEntry};
use serde::Deserialize;
use serde_json::Value;

pub use incidentd_core::Applied;

/// `POST /dashboard/incidents`: 201 declared now, 200 declared earlier with the same key.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Declared {
    pub incident: IncidentState,
}

/// `GET /dashboard/incidents/:id`: the view, plus `archived: true` when a closed incident is
/// served from the archive.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Shown {
    #[serde(flatten)]
    pub view: IncidentView,
    #[serde(default)]
    pub archived: bool,
}

/// `GET /dashboard/incidents`: one page, or every page `list --all` followed.
pub use incidentd_wire::list::IncidentPage as Listed;

/// `GET /dashboard/incidents/:id/dead-letters`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DeadLetters {
    pub dead_letters: Vec<TimelineEntry>,
}

/// `POST /dashboard/incidents/:id/dead-letters/:event_id/replay`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Replayed {
    pub replayed: i64,
}

/// `GET /dashboard/incidents/:id/failed-effects`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FailedEffects {
    pub failed_effects: Vec<incidentd_core::object::FailedEffect>,
}

/// `POST /dashboard/incidents/:id/failed-effects/:event_id/:effect/retry`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RetriedEffect {
    pub retried: Retried,
}

/// `POST /dashboard/incidents/:id/failed-effects/:event_id/:effect/dismiss`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DismissedEffect {
    pub dismissed: Dismissed,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Dismissed {
    pub event_id: i64,
    pub effect: String,
    /// The `EFFECT_DISMISSED` event that records it.
    pub dismissal_event_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Retried {
    pub event_id: i64,
    pub effect: String,
    pub round: i64,
}

/// `GET /dashboard/incidents/:id/workflow`: the instance, what the Workflows platform says of
/// it (`archived: true` for a closed incident served from the archive), and each effect's lane.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Workflow {
    pub instance_id: String,
    pub status: WorkflowStatus,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub lanes: Vec<incidentd_core::object::LaneView>,
}

/// The platform's instance status is passed through untyped by the server (the runtime's
/// `WorkflowClient::status` answers JSON), so every shape it may take is accepted here.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WorkflowStatus {
    /// `{status, error?, output?}`, what `InstanceStatus` is on Cloudflare.
    Instance {
        status: String,
        #[serde(default)]
        error: Option<WorkflowError>,
    },
    /// A bare word (what an archived record may keep).
    Word(String),
    Other(Value),
}

/// `error` of an errored instance: a string in older runtimes, `{name, message}` in newer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WorkflowError {
    Named { name: String, message: String },
    Text(String),
    Other(Value),
}

/// Every 4xx/5xx body: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Failed {
    pub error: ApiErrorBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_workflow_status_decodes_in_each_platform_shape() {
        let decode = |status: Value| {
            Workflow::deserialize(&json!({ "instance_id": "incident-1", "status": status }))
                .unwrap()
                .status
        };
        assert_eq!(
            decode(json!({ "status": "running", "output": null })),
            WorkflowStatus::Instance {
                status: "running".into(),
                error: None
            }
        );
        assert_eq!(
            decode(json!({ "status": "errored", "error": { "name": "Error", "message": "boom" } })),
            WorkflowStatus::Instance {
                status: "errored".into(),
                error: Some(WorkflowError::Named {
                    name: "Error".into(),
                    message: "boom".into()
                })
            }
        );
        assert_eq!(
            decode(json!("complete")),
            WorkflowStatus::Word("complete".into())
        );
        assert_eq!(decode(json!(3)), WorkflowStatus::Other(json!(3)));
    }

    #[test]
    fn an_error_body_decodes() {
        let failed = Failed::deserialize(
            &json!({ "error": { "code": "INVALID_TRANSITION", "message": "no" } }),
        )
        .unwrap();
        assert_eq!(failed.error.code, "INVALID_TRANSITION");
    }
}
