//! The typed fixtures cover every event kind, each decodable as the handler parameter of its
//! kind and consistent with its incident.

use incidentd_core::testing::events;
use incidentd_core::{
    AffectionUpdated, AssigneeUpdated, IncidentCreated, IncidentMessage, MessageAdded,
    SeverityUpdated, Status, StatusUpdated,
};
use incidentd_core::{IncidentEvent, Severity};
use sluice::native::NativeServices;
use sluice::registry::{FromSenderCall, SenderCall};
use std::rc::Rc;

fn decode<T: serde::de::DeserializeOwned + sluice::EventKind>(
    message: &IncidentMessage,
) -> IncidentEvent<T> {
    assert_eq!(message.event_type, T::EVENT_TYPE);
    let call = SenderCall {
        event_id: message.event_id,
        stream_id: message.incident_id.clone(),
        instance_id: "i".into(),
        message: Rc::new(serde_json::to_value(message).unwrap()),
        services: Rc::new(NativeServices::default()),
    };
    IncidentEvent::<T>::from_call(&call).expect("decodes as its handler's parameter")
}

#[test]
fn every_event_kind_has_a_fixture_that_decodes_as_its_parameter() {
    assert_eq!(
        decode::<IncidentCreated>(&events::incident_created()).title,
        "Checkout failing"
    );
    let resolved = events::status_update(Status::Resolved);
    assert_eq!(decode::<StatusUpdated>(&resolved).status, Status::Resolved);
    assert!(resolved.last, "a closing event is the instance's last");
    assert_eq!(
        decode::<SeverityUpdated>(&events::severity_update(Severity::High))
            .incident
            .severity,
        Severity::High
    );
    assert_eq!(
        decode::<AssigneeUpdated>(&events::assignee_update(Some("bob")))
            .assignee
            .as_deref(),
        Some("bob")
    );
    assert_eq!(
        decode::<MessageAdded>(&events::message_added("hi")).message,
        "hi"
    );
    let affection = decode::<AffectionUpdated>(&events::affection_update());
    assert_eq!(
        affection.incident.affection.as_ref().map(|a| a.updates),
        Some(1)
    );
}
