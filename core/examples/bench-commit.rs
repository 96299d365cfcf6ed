//! The Durable Object's commit path against an in-process SQLite as the timeline grows: the
//! time of one message (dedupe lookup, state, outbox row, snapshot, alarm) per thousand events.
//! A benchmark: it prints figures. `cargo run --release -p incidentd-core --example bench-commit`

use incidentd_core::model::Source;
use incidentd_core::{Command, IncidentObject, StartIncident};
use sluice::native::SqliteStore;
use std::time::Instant;

fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let object = IncidentObject::open(SqliteStore::in_memory());
    let start = StartIncident {
        id: "bench".into(),
        tenant_id: "demo".into(),
        prompt: "bench".into(),
        title: None,
        severity: None,
        created_by: "u".into(),
        source: Source::Dashboard,
        entry_points: Vec::new(),
        services: Vec::new(),
    };
    object.start(start, 0).expect("starts");
    println!("events in timeline → mean commit time of the next 1000 messages");
    let mut batch = Instant::now();
    for i in 1..=events {
        let command = Command::AddMessage {
            message: format!("message {i}"),
            message_id: format!("m{i}"),
            user_id: "u".into(),
        };
        object.apply("demo", command, i as i64).expect("commits");
        if i % 1_000 == 0 {
            let micros = batch.elapsed().as_secs_f64() * 1e6 / 1_000.0;
            if i == 1_000 || i % 5_000 == 0 {
                println!("{:>6} → {micros:>6.1} µs", i);
            }
            batch = Instant::now();
        }
    }
}
