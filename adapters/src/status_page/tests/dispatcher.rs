//! The `status_page` dispatcher on the native host, as the fan-out runs it, on an in-memory
//! D1 with every migration applied: each event is written once however often it arrives,
//! and an older event arriving late moves nothing backwards.

use super::seeded_database;
use crate::status_page::projection::{public_id, CLOSED_MESSAGE};
use crate::status_page::store;
use crate::status_page::STATUS_DATABASE;
use incidentd_core::model::{AffectionStatus, IncidentMessage, Status};
use incidentd_core::testing::events::{self, test_event, INCIDENT_ID};
use incidentd_core::{AffectionUpdated, StatusUpdated, INCIDENT_WORKFLOW};
use serde_json::Value;
use sluice::native::{HandlerTest, SqliteDatabase};
use sluice::sql::Database;
use std::rc::Rc;

const EFFECT: &str = "status_page";

/// Event 2 creates the public incident (the fixture), 3 moves it to mitigating, 4 resolves
/// the incident while its affection is still mitigating.
fn lifecycle() -> [IncidentMessage; 3] {
    let created = events::affection_update();
    let mut mitigating_state = created.incident.clone();
    mitigating_state.last_event_id = 3;
    let affection = mitigating_state.affection.as_mut().unwrap();
    affection.status = AffectionStatus::Mitigating;
    affection.updates = 2;
    let mitigating = events::message(
        3,
        &AffectionUpdated {
            message: "A fix is rolling out".into(),
            created_by: "u1".into(),
            status: Some(AffectionStatus::Mitigating),
            title: None,
            services: None,
        },
        mitigating_state.clone(),
    );
    let mut resolved_state = mitigating_state;
    resolved_state.status = Status::Resolved;
    resolved_state.last_event_id = 4;
    let resolved = events::message(
        4,
        &StatusUpdated {
            status: Status::Resolved,
            message: "internal: rolled back deploy 8812".into(),
        },
        resolved_state,
    );
    [created, mitigating, resolved]
}

/// A fresh handler host (as a new workflow instance or generation would be) on `db`.
fn host(db: &Rc<SqliteDatabase>) -> HandlerTest {
    crate::link();
    HandlerTest::new(INCIDENT_WORKFLOW).database(STATUS_DATABASE, db.clone())
}

fn deliver(db: &Rc<SqliteDatabase>, message: &IncidentMessage) {
    host(db)
        .run(EFFECT, &test_event(message))
        .unwrap_or_else(|e| panic!("event {} failed: {e:?}", message.event_id));
}

fn rows(db: &SqliteDatabase, sql: &str) -> Vec<serde_json::Map<String, Value>> {
    pollster::block_on(db.query(sql, Vec::new())).expect("query runs")
}

fn updates(db: &SqliteDatabase) -> Vec<(i64, String, String)> {
    rows(
        db,
        "SELECT event_id, status, message FROM status_update ORDER BY event_id",
    )
    .into_iter()
    .map(|r| {
        (
            r["event_id"].as_i64().unwrap(),
            r["status"].as_str().unwrap().to_owned(),
            r["message"].as_str().unwrap().to_owned(),
        )
    })
    .collect()
}

fn incident_row(db: &SqliteDatabase) -> serde_json::Map<String, Value> {
    let mut all = rows(db, "SELECT * FROM status_incident");
    assert_eq!(all.len(), 1, "one public incident: {all:?}");
    all.remove(0)
}

fn expected_updates() -> Vec<(i64, String, String)> {
    vec![
        (2, "investigating".into(), "We are investigating".into()),
        (3, "mitigating".into(), "A fix is rolling out".into()),
        (4, "resolved".into(), CLOSED_MESSAGE.into()),
    ]
}

#[test]
fn the_dispatcher_is_registered_for_affection_and_status_events() {
    crate::link();
    let effect = sluice::registry::all_effects()
        .into_iter()
        .find(|e| e.name == EFFECT)
        .expect("status_page is registered");
    assert_eq!(effect.kind, sluice::registry::EffectKind::Dispatcher);
    let mut handled: Vec<&str> = effect.handlers.iter().map(|h| h.event).collect();
    handled.sort_unstable();
    assert_eq!(handled, ["AFFECTION_UPDATE", "STATUS_UPDATE"]);
}

#[test]
fn a_lifecycle_publishes_one_update_per_event_and_resolves() {
    let db = seeded_database();
    for message in &lifecycle() {
        deliver(&db, message);
    }
    assert_eq!(updates(&db), expected_updates());
    let row = incident_row(&db);
    assert_eq!(row["status"], "resolved");
    assert_eq!(row["title"], "Checkout degraded");
    assert_eq!(row["public_id"], public_id(INCIDENT_ID).as_str());
    assert_eq!(
        (row["created_at"].as_i64(), row["resolved_at"].as_i64()),
        (Some(2_000), Some(4_000))
    );
    let services = rows(
        &db,
        "SELECT service_id, impact FROM status_incident_service",
    );
    assert_eq!(services.len(), 1);
    assert_eq!(
        (
            services[0]["service_id"].as_str(),
            services[0]["impact"].as_str()
        ),
        (Some("checkout"), Some("major"))
    );
}

#[test]
fn redelivering_every_event_to_new_instances_writes_nothing_twice() {
    let db = seeded_database();
    let lifecycle = lifecycle();
    for message in &lifecycle {
        deliver(&db, message);
    }
    let before = (incident_row(&db), updates(&db));
    // At-least-once forwarding, a new generation, a replay of each: all of it again, twice.
    for _ in 0..2 {
        for message in &lifecycle {
            deliver(&db, message);
        }
    }
    assert_eq!((incident_row(&db), updates(&db)), before);
}

#[test]
fn a_crash_after_the_writes_reruns_the_step_without_duplicating_them() {
    let db = seeded_database();
    let test = host(&db);
    let [created, ..] = lifecycle();
    test.step()
        .crash_once_after_step(&format!("{EFFECT}.affection_update:{}", created.event_id));
    // The isolate dies after the writes, before the engine keeps the step's result.
    let event = test_event(&created);
    let crashed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.run(EFFECT, &event)));
    assert!(crashed.is_err(), "the injected crash ends the run");
    assert_eq!(
        updates(&db),
        expected_updates()[..1],
        "written before the crash"
    );
    test.run(EFFECT, &event).expect("the rerun succeeds");
    assert_eq!(
        updates(&db),
        expected_updates()[..1],
        "and not again by the rerun"
    );
    assert_eq!(incident_row(&db)["status"], "investigating");
}

#[test]
fn an_older_event_arriving_last_moves_nothing_backwards() {
    let db = seeded_database();
    let [created, mitigating, resolved] = lifecycle();
    // The creating event was dead-lettered and replayed after the others went through.
    for message in [&mitigating, &resolved, &created] {
        deliver(&db, message);
    }
    let row = incident_row(&db);
    assert_eq!(
        row["status"], "resolved",
        "the late event 2 did not reopen it"
    );
    assert_eq!(row["event_id"], 4);
    assert_eq!(
        row["created_at"], 2_000,
        "created when the first event happened"
    );
    assert_eq!(row["updated_at"], 4_000);
    assert_eq!(row["resolved_at"], 4_000);
    assert_eq!(updates(&db), expected_updates());

    // Mitigating arriving after the resolution does not move it back either.
    let db = seeded_database();
    for message in [&created, &resolved, &mitigating] {
        deliver(&db, message);
    }
    assert_eq!(incident_row(&db)["status"], "resolved");
    assert_eq!(updates(&db), expected_updates());
}

#[test]
fn the_page_shows_what_the_dispatcher_wrote() {
    let db = seeded_database();
    let [created, mitigating, _] = lifecycle();
    deliver(&db, &created);
    deliver(&db, &mitigating);
    let page = pollster::block_on(store::load(db.as_ref(), "demo", "http://h", 10_000))
        .expect("loads")
        .expect("the demo page exists");
    assert_eq!(page.title, "Demo Status");
    assert_eq!(page.url, "http://h/status/demo");
    let names: Vec<&str> = page.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Checkout", "Payments", "Public API"]);
    let [incident] = page.incidents.as_slice() else {
        panic!("one incident: {:?}", page.incidents)
    };
    assert_eq!(incident.status, AffectionStatus::Mitigating);
    assert!(incident.is_active());
    let messages: Vec<&str> = incident
        .updates_newest_first()
        .iter()
        .map(|u| u.message.as_str())
        .collect();
    assert_eq!(messages, ["A fix is rolling out", "We are investigating"]);
    assert_eq!(incident.affected[0].name, "Checkout");
    assert_eq!(
        pollster::block_on(store::load(db.as_ref(), "nope", "http://h", 10_000)).unwrap(),
        None
    );
}

#[test]
fn hidden_services_and_old_resolved_incidents_stay_off_the_page() {
    let db = seeded_database();
    for message in &lifecycle() {
        deliver(&db, message);
    }
    db.apply("UPDATE service SET public = 0 WHERE id = 'checkout'")
        .unwrap();
    let load = |now| {
        pollster::block_on(store::load(db.as_ref(), "demo", "http://h", now))
            .unwrap()
            .unwrap()
    };
    let page = load(10_000);
    assert!(page.services.iter().all(|s| s.id != "checkout"));
    assert!(
        page.incidents[0].affected.is_empty(),
        "a hidden service is not named"
    );

    let ninety_days = crate::status_page::HISTORY_DAYS * 86_400_000;
    assert_eq!(
        load(4_000 + ninety_days).incidents.len(),
        1,
        "resolved 90 days ago: shown"
    );
    assert!(
        load(4_001 + ninety_days).incidents.is_empty(),
        "older: history no more"
    );
}

#[test]
fn the_migrations_apply_and_the_demo_seed_is_idempotent() {
    let db = seeded_database();
    db.apply(include_str!("../../../../scripts/seed-demo.sql"))
        .expect("the seed runs twice");
    let pages = rows(&db, "SELECT slug, title FROM status_page");
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["slug"], "demo");
    let public = rows(&db, "SELECT count(*) AS n FROM service WHERE public = 1");
    assert_eq!(public[0]["n"], 3);
}
