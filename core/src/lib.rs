//! The incident domain, free of any platform type, so all of it runs under `cargo test`:
//!
//! - [`model`]: the state and its parts; [`events`]: the event kinds, declared once;
//!   [`effects`]: event payloads and the envelope senders receive;
//! - [`decide`]: what a command means for a state (pure);
//! - [`object`]: the Incident Durable Object's storage shell over the runtime's SQL port,
//!   with its alarm (forwarding through [`forward`], finalisation);
//! - [`protocol`]: the one typed protocol to that object, for the router and workflow steps;
//! - [`view`]: what readers see.

pub mod decide;
pub mod effects;
pub mod error;
pub mod events;
pub mod forward;
pub mod model;
pub mod object;
pub mod protocol;
#[doc(hidden)]
pub mod testing;
pub mod view;

pub use decide::{Command, StartIncident, TriageProposal};
pub use effects::{
    AffectionUpdated, AssigneeUpdated, DetailsUpdated, EffectDismissed, IncidentCreated,
    IncidentEvent, IncidentSender, MessageAdded, PromptAdded, SeverityUpdated, StatusUpdated,
    SuggestedChange, SuggestionAdded, SuggestionOutcome, SuggestionResolved, TriageNoted,
    INCIDENT_WORKFLOW,
};
pub use error::{Conflict, DomainError};
pub use events::{EventData, EventKindInfo, EVENT_KINDS};
pub use model::{
    event_type, Actor, ActorKind, AffectedService, Affection, AffectionStatus, EntryPoint, Impact,
    IncidentMessage, IncidentState, Service, Severity, Source, Status,
};
pub use object::{Archive, Idempotency, IncidentObject, Origin, Started};
pub use protocol::{
    IncidentCallError, IncidentHandle, IncidentReply, IncidentRequest, IncidentServices,
    INCIDENT_OBJECT_BINDING,
};
pub use view::{Applied, ArchivedIncident, IncidentView, TimelineEntry};

/// The event type the outbox forwards with `sendEvent` after the first event.
pub const WORKFLOW_EVENT_TYPE: &str = "incident-event";

/// The first `IncidentWorkflow` instance of an incident (later generations: see [`forward`]).
pub fn workflow_instance_id(incident_id: &str) -> String {
    forward::instance_id(incident_id, 1)
}
