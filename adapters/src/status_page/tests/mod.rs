//! The status page's native tests: the renderers over fixed data (snapshots), the dispatcher
//! on an in-memory D1 with every migration applied (redelivery, replay, order), and that no
//! internal field of an incident ever reaches a public document.

mod dispatcher;
mod privacy;
mod render;

use super::model::{
    AffectedPublicService, PublicIncident, PublicPage, PublicService, PublicUpdate,
};
use incidentd_core::model::{AffectionStatus, Impact};
use sluice::native::SqliteDatabase;
use std::rc::Rc;

/// An in-memory D1 with the migrations and the demo seed (page `demo`, three services).
fn seeded_database() -> Rc<SqliteDatabase> {
    let db = Rc::new(SqliteDatabase::in_memory());
    for (_, sql) in crate::migrations::ALL {
        db.apply(sql).expect("migration applies");
    }
    db.apply(include_str!("../../../../scripts/seed-demo.sql"))
        .expect("seed applies");
    db
}

const MINUTE: i64 = 60_000;
/// 2026-06-05T17:00:00Z.
const T0: i64 = 1_780_678_800_000;

fn update(id: &str, status: AffectionStatus, message: &str, at: i64) -> PublicUpdate {
    PublicUpdate {
        id: id.into(),
        status,
        message: message.into(),
        at,
    }
}

fn affected(id: &str, name: &str, impact: Impact) -> AffectedPublicService {
    AffectedPublicService {
        id: id.into(),
        name: name.into(),
        impact,
    }
}

/// Fixed data: three services, one active incident (two updates, markup in a message) and
/// one resolved the day before.
fn fixed_page() -> PublicPage {
    PublicPage {
        slug: "demo".into(),
        title: "Demo Status".into(),
        url: "https://status.example.com/status/demo".into(),
        services: vec![
            PublicService {
                id: "checkout".into(),
                name: "Checkout".into(),
            },
            PublicService {
                id: "payments".into(),
                name: "Payments".into(),
            },
            PublicService {
                id: "api".into(),
                name: "Public API".into(),
            },
        ],
        incidents: vec![
            PublicIncident {
                id: "7f3a9c01d2e4b5a6".into(),
                title: "Checkout degraded".into(),
                status: AffectionStatus::Mitigating,
                created_at: T0,
                updated_at: T0 + 20 * MINUTE,
                resolved_at: None,
                affected: vec![affected("checkout", "Checkout", Impact::Major)],
                updates: vec![
                    update(
                        "7f3a9c01d2e4b5a6-2",
                        AffectionStatus::Investigating,
                        "We are investigating failed checkouts.",
                        T0,
                    ),
                    update(
                        "7f3a9c01d2e4b5a6-5",
                        AffectionStatus::Mitigating,
                        "A fix is rolling out; errors <5% & falling.",
                        T0 + 20 * MINUTE,
                    ),
                ],
            },
            PublicIncident {
                id: "0b1c2d3e4f5a6b7c".into(),
                title: "Payments delayed".into(),
                status: AffectionStatus::Resolved,
                created_at: T0 - 1_440 * MINUTE,
                updated_at: T0 - 1_380 * MINUTE,
                resolved_at: Some(T0 - 1_380 * MINUTE),
                affected: vec![affected("payments", "Payments", Impact::Partial)],
                updates: vec![
                    update(
                        "0b1c2d3e4f5a6b7c-2",
                        AffectionStatus::Investigating,
                        "Card payments are slow.",
                        T0 - 1_440 * MINUTE,
                    ),
                    update(
                        "0b1c2d3e4f5a6b7c-4",
                        AffectionStatus::Resolved,
                        "Payments are back to normal.",
                        T0 - 1_380 * MINUTE,
                    ),
                ],
            },
        ],
        // Set up a week before the first incident.
        changed_at: T0 - 7 * 1_440 * MINUTE,
    }
}
