//! The protocol's one serialisation point, both ways: every request kind reaches the object
//! and its typed reply (or domain error) comes back intact.

use incidentd_core::object::{Idempotency, IncidentObject, Origin, Started};
use incidentd_core::protocol::{decode_reply, encode_request, IncidentReply, IncidentRequest};
use incidentd_core::{Actor, Command, Conflict, DomainError, Severity, Source, StartIncident};
use sluice::native::SqliteStore;
use std::collections::BTreeMap;

const TENANT: &str = "demo";

fn call(
    object: &IncidentObject<SqliteStore>,
    request: IncidentRequest,
) -> Result<IncidentReply, DomainError> {
    let text = object.handle_encoded(&encode_request(&request), 1_000);
    decode_reply(&text).expect("the reply decodes")
}

fn start() -> IncidentRequest {
    IncidentRequest::Start {
        input: StartIncident {
            id: "a".repeat(64),
            tenant_id: TENANT.into(),
            prompt: "checkout failing".into(),
            title: None,
            severity: Some(Severity::Low),
            created_by: "u".into(),
            source: Source::Dashboard,
            entry_points: Vec::new(),
            services: Vec::new(),
        },
    }
}

#[test]
fn every_request_kind_round_trips() {
    let object = IncidentObject::open(SqliteStore::in_memory());
    assert_eq!(
        call(
            &object,
            IncidentRequest::Get {
                tenant: TENANT.into()
            }
        ),
        Err(DomainError::NotFound),
        "before start: not found, and nothing created"
    );
    let Ok(IncidentReply::Started(Started::Created(state))) = call(&object, start()) else {
        panic!("created");
    };
    assert!(matches!(
        call(&object, start()),
        Ok(IncidentReply::Started(Started::AlreadyExisted(s))) if s == state
    ));
    let apply = |request_id: &str| IncidentRequest::Apply {
        origin: Origin {
            tenant: TENANT.into(),
            actor: Actor::user("u"),
            idempotency: Idempotency::Signature(request_id.into()),
        },
        command: Command::SetSeverity {
            severity: Severity::High,
        },
    };
    let Ok(IncidentReply::Applied(applied)) = call(&object, apply("sig-1")) else {
        panic!("applied");
    };
    assert_eq!(applied.event_id, Some(2));
    assert_eq!(
        call(&object, apply("sig-1")).unwrap_err(),
        DomainError::conflict(
            Conflict::RequestReplayed,
            "this exact request was already applied; sign a new one"
        )
    );
    let entries = BTreeMap::from([("slack_channel".to_owned(), "C1".to_owned())]);
    assert!(matches!(
        call(&object, IncidentRequest::MergeMetadata { tenant: TENANT.into(), entries }),
        Ok(IncidentReply::Metadata(s)) if s.metadata["slack_channel"] == "C1"
    ));
    let Ok(IncidentReply::View(view)) = call(
        &object,
        IncidentRequest::Get {
            tenant: TENANT.into(),
        },
    ) else {
        panic!("view");
    };
    assert_eq!(view.timeline.len(), 2);
    assert_eq!(view.timeline[1].actor, Some(Actor::user("u")));
    assert!(matches!(
        call(&object, IncidentRequest::AgentContext { tenant: TENANT.into() }),
        Ok(IncidentReply::View(v)) if v == view
    ));
    assert_eq!(
        call(
            &object,
            IncidentRequest::DeadLetters {
                tenant: TENANT.into()
            }
        ),
        Ok(IncidentReply::DeadLetters(Vec::new()))
    );
    assert_eq!(
        call(
            &object,
            IncidentRequest::Replay {
                tenant: TENANT.into(),
                event_id: 1
            }
        ),
        Err(DomainError::NotFound),
        "event 1 is not dead"
    );
    assert!(matches!(
        call(&object, IncidentRequest::Workflow { tenant: TENANT.into() }),
        Ok(IncidentReply::Workflow { instance_id }) if instance_id == format!("incident-{}", "a".repeat(64))
    ));
    assert_eq!(
        call(
            &object,
            IncidentRequest::Get {
                tenant: "other".into()
            }
        ),
        Err(DomainError::NotFound),
        "another tenant's incident is not found"
    );
}

#[test]
fn a_request_that_does_not_decode_is_an_invalid_input_reply() {
    let object = IncidentObject::open(SqliteStore::in_memory());
    let reply = decode_reply(&object.handle_encoded("{\"op\":\"explode\"}", 1)).unwrap();
    assert_eq!(reply.unwrap_err().code(), "INVALID_INPUT");
}
