//! What one event makes public: a pure function from the event (and the incident's snapshot
//! as of it) to the rows the dispatcher writes. Only the affection is read: the incident's
//! internal title, description, prompt, assignee and messages never leave here.

use incidentd_core::model::{AffectedService, Affection, AffectionStatus, IncidentState};
use incidentd_core::{AffectionUpdated, IncidentEvent, StatusUpdated};
use sha2::{Digest, Sha256};

/// The update a public incident gets when its incident closes before its affection did. A
/// fixed text: the status change's own message is an internal note.
pub const CLOSED_MESSAGE: &str = "This incident has been resolved.";

/// The rows one event writes: the public incident as of the event, and at most one update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicWrite {
    pub tenant_id: String,
    pub incident_id: String,
    pub public_id: String,
    pub event_id: i64,
    /// When the event happened (unix ms).
    pub at: i64,
    pub title: String,
    pub status: AffectionStatus,
    pub services: Vec<AffectedService>,
    /// The update this event adds, if any: its status and message.
    pub update: Option<(AffectionStatus, String)>,
}

impl PublicWrite {
    /// `at` when this event leaves the incident resolved.
    pub fn resolved_at(&self) -> Option<i64> {
        (self.status == AffectionStatus::Resolved).then_some(self.at)
    }
}

/// The public id of an incident: a digest of its id, so the page never shows internal ids.
pub fn public_id(incident_id: &str) -> String {
    hex::encode(&Sha256::digest(incident_id.as_bytes())[..8])
}

/// An `AFFECTION_UPDATE`: the public incident as the affection now stands, plus the update.
/// `None` only for a snapshot without an affection, which the domain never produces.
pub fn affection_update(event: &IncidentEvent<AffectionUpdated>) -> Option<PublicWrite> {
    let affection = event.incident.affection.as_ref()?;
    let update = (affection.status, event.message.clone());
    Some(write(
        event,
        &event.incident,
        affection,
        affection.status,
        Some(update),
    ))
}

/// A `STATUS_UPDATE`: when the incident closes (resolved or declined) its public incident, if
/// it has one, is resolved, with a final update unless the affection was already resolved.
pub fn status_update(event: &IncidentEvent<StatusUpdated>) -> Option<PublicWrite> {
    if !event.status.is_terminal() {
        return None;
    }
    let affection = event.incident.affection.as_ref()?;
    let update = (affection.status != AffectionStatus::Resolved)
        .then(|| (AffectionStatus::Resolved, CLOSED_MESSAGE.to_owned()));
    Some(write(
        event,
        &event.incident,
        affection,
        AffectionStatus::Resolved,
        update,
    ))
}

fn write<T>(
    event: &IncidentEvent<T>,
    incident: &IncidentState,
    affection: &Affection,
    status: AffectionStatus,
    update: Option<(AffectionStatus, String)>,
) -> PublicWrite {
    PublicWrite {
        tenant_id: incident.tenant_id.clone(),
        incident_id: event.incident_id.clone(),
        public_id: public_id(&event.incident_id),
        event_id: event.event_id,
        at: event.at,
        title: affection.title.clone(),
        status,
        services: affection.services.clone(),
        update,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_core::model::{Impact, IncidentMessage, Status};
    use incidentd_core::testing::events;

    /// The typed event a handler would get for a fixture message.
    fn typed<T: serde::de::DeserializeOwned>(message: &IncidentMessage) -> IncidentEvent<T> {
        IncidentEvent {
            incident_id: message.incident_id.clone(),
            event_id: message.event_id,
            at: message.at,
            incident: message.incident.clone(),
            actor: message.actor.clone(),
            data: serde_json::from_value(message.data.clone()).expect("the fixture decodes"),
        }
    }

    #[test]
    fn an_affection_update_publishes_the_affection_and_its_message_only() {
        let write = affection_update(&typed(&events::affection_update())).unwrap();
        assert_eq!(write.title, "Checkout degraded");
        assert_eq!(write.status, AffectionStatus::Investigating);
        assert_eq!(write.services[0].impact, Impact::Major);
        assert_eq!(
            write.update,
            Some((
                AffectionStatus::Investigating,
                "We are investigating".into()
            ))
        );
        assert_eq!(write.resolved_at(), None);
        assert_ne!(write.public_id, write.incident_id);
        assert_eq!(write.public_id.len(), 16);
    }

    #[test]
    fn closing_resolves_the_public_incident_with_a_fixed_final_update() {
        let mut message = events::status_update(Status::Declined);
        let affection = typed::<AffectionUpdated>(&events::affection_update());
        message.incident.affection = affection.incident.affection.clone();
        let write = status_update(&typed(&message)).unwrap();
        assert_eq!(write.status, AffectionStatus::Resolved);
        assert_eq!(write.resolved_at(), Some(message.at));
        assert_eq!(
            write.update,
            Some((AffectionStatus::Resolved, CLOSED_MESSAGE.into())),
            "the status change's own message ({:?}) stays internal",
            message.data["message"]
        );
    }

    #[test]
    fn closing_an_already_resolved_affection_adds_no_update() {
        let mut message = events::status_update(Status::Resolved);
        let mut affection = typed::<AffectionUpdated>(&events::affection_update())
            .incident
            .affection
            .unwrap();
        affection.status = AffectionStatus::Resolved;
        message.incident.affection = Some(affection);
        let write = status_update(&typed(&message)).unwrap();
        assert_eq!(write.update, None);
        assert_eq!(write.status, AffectionStatus::Resolved);
    }

    #[test]
    fn events_without_a_public_side_write_nothing() {
        // Mitigating is not a close; a closed incident without affection has no public one.
        assert_eq!(
            status_update(&typed(&events::status_update(Status::Mitigating))),
            None
        );
        assert_eq!(
            status_update(&typed(&events::status_update(Status::Resolved))),
            None
        );
    }
}
