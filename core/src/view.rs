//! What readers see of an incident: the outcome of a change, timeline entries and the whole
//! view. The same types travel the protocol to the Incident object and the public API.

use crate::model::{Actor, IncidentState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice::outbox::OutboxRow;

/// The key under which an event's actor is stored beside its data.
const ACTOR_KEY: &str = "actor";

/// Event data as stored: the payload's fields plus the actor.
pub(crate) fn with_actor(mut data: Value, actor: &Actor) -> Value {
    if let (Value::Object(map), Ok(actor)) = (&mut data, serde_json::to_value(actor)) {
        map.insert(ACTOR_KEY.to_owned(), actor);
    }
    data
}

/// Separates the stored actor from the payload's fields.
pub(crate) fn split_actor(mut data: Value) -> (Value, Option<Actor>) {
    let actor = data
        .as_object_mut()
        .and_then(|map| map.remove(ACTOR_KEY))
        .and_then(|actor| sluice::json::from_value(&actor).ok());
    (data, actor)
}

/// The outcome of a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Applied {
    pub incident: IncidentState,
    /// The event written, or `None` when nothing changed.
    pub event_id: Option<i64>,
    /// A message id (or an idempotency key) seen before: nothing was written, `event_id` is
    /// the original's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// One timeline entry as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub event_id: i64,
    pub event_type: String,
    pub data: Value,
    /// Who made the change (absent on events recorded before actors were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    pub at: i64,
    pub published_at: Option<i64>,
    pub attempts: u32,
    pub dead_lettered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl From<OutboxRow> for TimelineEntry {
    fn from(row: OutboxRow) -> Self {
        let (data, actor) = split_actor(row.data);
        TimelineEntry {
            event_id: row.event_id,
            event_type: row.event_type,
            data,
            actor,
            at: row.created_at,
            published_at: row.published_at,
            attempts: row.attempts,
            dead_lettered: row.dead_at.is_some(),
            last_error: row.last_error,
        }
    }
}

/// `get`: the state and the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentView {
    pub incident: IncidentState,
    pub timeline: Vec<TimelineEntry>,
}

/// What a closed incident leaves behind when its object's storage is deleted. Stored as the
/// view's fields with `workflow_instance` beside them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ArchivedFields", into = "ArchivedFields")]
pub struct ArchivedIncident {
    pub view: IncidentView,
    /// The last `IncidentWorkflow` instance its events went to (absent in older archives).
    pub workflow_instance: Option<String>,
}

/// An archive as stored: flat, as `#[serde(flatten)]` would write it, without its decoder,
/// which buffers the whole archive into an intermediate tree first.
#[derive(Serialize, Deserialize)]
struct ArchivedFields {
    incident: IncidentState,
    timeline: Vec<TimelineEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workflow_instance: Option<String>,
}

impl From<ArchivedFields> for ArchivedIncident {
    fn from(fields: ArchivedFields) -> Self {
        ArchivedIncident {
            view: IncidentView {
                incident: fields.incident,
                timeline: fields.timeline,
            },
            workflow_instance: fields.workflow_instance,
        }
    }
}

impl From<ArchivedIncident> for ArchivedFields {
    fn from(archived: ArchivedIncident) -> Self {
        ArchivedFields {
            incident: archived.view.incident,
            timeline: archived.view.timeline,
            workflow_instance: archived.workflow_instance,
        }
    }
}
