//! The incident domain, free of any platform type: the state and its events, the commands that
//! change it, and the Incident Durable Object's logic written against the runtime's storage
//! port, so all of it runs under `cargo test`.

pub mod effects;
pub mod error;
pub mod forward;
pub mod model;
pub mod object;
#[doc(hidden)]
pub mod testing;

pub use effects::{
    AffectionUpdated, AssigneeUpdated, IncidentCreated, IncidentEvent, IncidentSender,
    MessageAdded, SeverityUpdated, StatusUpdated, INCIDENT_WORKFLOW,
};
pub use error::DomainError;
pub use model::{IncidentMessage, IncidentState, Severity, Source, Status};
pub use object::{
    Applied, Archive, Command, IncidentObject, IncidentView, StartIncident, TimelineEntry,
};

/// The event type the outbox forwards with `sendEvent` after the first event.
pub const WORKFLOW_EVENT_TYPE: &str = "incident-event";

/// The first `IncidentWorkflow` instance of an incident (later generations: see [`forward`]).
pub fn workflow_instance_id(incident_id: &str) -> String {
    forward::instance_id(incident_id, 1)
}
