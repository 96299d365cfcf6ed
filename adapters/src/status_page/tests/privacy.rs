//! Only the affection is public: an incident whose internal fields look like secrets goes
//! through the dispatcher into D1 and out through every public document, and none of them
//! shows any of it.

use super::seeded_database;
use crate::status_page::response::{answer, Document};
use crate::status_page::store;
use crate::status_page::STATUS_DATABASE;
use incidentd_core::model::{AffectedService, Affection, AffectionStatus, Impact, Status};
use incidentd_core::testing::events::{self, test_event};
use incidentd_core::{AffectionUpdated, StatusUpdated, INCIDENT_WORKFLOW};
use sluice::native::HandlerTest;

const SECRETS: [&str; 6] = [
    "SECRET-internal-title",
    "SECRET-description",
    "SECRET-prompt",
    "SECRET-assignee",
    "SECRET-status-note",
    "SECRET-metadata",
];

#[test]
fn internal_fields_never_reach_any_public_document() {
    crate::link();
    let db = seeded_database();
    let mut incident = events::affection_update().incident;
    incident.title = SECRETS[0].into();
    incident.description = SECRETS[1].into();
    incident.prompt = SECRETS[2].into();
    incident.assignee = Some(SECRETS[3].into());
    incident
        .metadata
        .insert("slack_channel".into(), SECRETS[5].into());
    incident.affection = Some(Affection {
        title: "Checkout degraded".into(),
        services: vec![AffectedService {
            id: "checkout".into(),
            impact: Impact::Partial,
        }],
        status: AffectionStatus::Investigating,
        updates: 1,
    });
    let created = events::message(
        2,
        &AffectionUpdated {
            message: "We are investigating".into(),
            created_by: SECRETS[3].into(),
            status: Some(AffectionStatus::Investigating),
            title: Some("Checkout degraded".into()),
            services: incident.affection.as_ref().map(|a| a.services.clone()),
        },
        incident.clone(),
    );
    let mut closed = incident;
    closed.status = Status::Resolved;
    let resolved = events::message(
        3,
        &StatusUpdated {
            status: Status::Resolved,
            message: SECRETS[4].into(),
        },
        closed,
    );
    let test = HandlerTest::new(INCIDENT_WORKFLOW).database(STATUS_DATABASE, db.clone());
    for message in [&created, &resolved] {
        test.run("status_page", &test_event(message))
            .expect("delivered");
    }
    // The resolved incident is history (page and feed); load before it too, for the summary.
    let page = pollster::block_on(store::load(db.as_ref(), "demo", "http://h", 5_000))
        .unwrap()
        .unwrap();
    let mut active = page.clone();
    active.incidents[0].status = AffectionStatus::Investigating;
    for (document, page) in [
        (Document::Html, &page),
        (Document::Feed, &page),
        (Document::Summary, &active),
    ] {
        let body = answer(document, Some(page), None).body;
        assert!(
            body.contains("Checkout degraded"),
            "{document:?} shows the public title"
        );
        for secret in SECRETS {
            assert!(
                !body.contains(secret),
                "{document:?} leaks {secret}:\n{body}"
            );
        }
        assert!(
            !body.contains(&created.incident_id),
            "{document:?} shows the internal id"
        );
    }
    // Nor are they stored anywhere the page reads from.
    let dump = pollster::block_on(sluice::sql::Database::query(
        db.as_ref(),
        "SELECT json_group_array(json_array(i.title, u.message)) AS all_text \
         FROM status_incident i JOIN status_update u ON u.incident_id = i.incident_id",
        Vec::new(),
    ))
    .unwrap();
    let text = dump[0]["all_text"].as_str().unwrap().to_owned();
    for secret in SECRETS {
        assert!(!text.contains(secret), "stored {secret}: {text}");
    }
}
