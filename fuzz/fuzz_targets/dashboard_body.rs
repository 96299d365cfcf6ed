//! Dashboard request bodies (`dashboard::receiver::requests`), as the router parses them once
//! the signature holds: every route's body parser, the create's idempotency key and the
//! incident's own validation before a Durable Object exists. Any body is accepted or refused
//! with 400, 413 or 422, never a panic; an accepted create re-serializes to itself.
#![no_main]

use incidentd_adapters::dashboard::receiver::requests::{
    command, parse_body, CreateIncidentChecks,
};
use incidentd_adapters::http::ApiError;
use incidentd_core::{Source, StartIncident};
use incidentd_wire::dashboard::{CreateIncident, Replay};
use libfuzzer_sys::fuzz_target;

const ROUTES: [&str; 7] = [
    "severity",
    "assignee",
    "status",
    "messages",
    "prompts",
    "affection",
    "affection/updates",
];

fn refused_cleanly(e: &ApiError) {
    assert!(
        matches!(e.status, 400 | 413 | 422),
        "a body was answered {}: {e:?}",
        e.status
    );
}

fn create(body: &[u8]) -> Result<(), ApiError> {
    let request: CreateIncident = parse_body(body)?;
    let again: CreateIncident =
        parse_body(&serde_json::to_vec(&request).expect("serializes")).expect("re-parses");
    assert_eq!(again, request, "a create body does not round-trip");
    request.checked_idempotency_key()?;
    let input = StartIncident {
        id: "0".repeat(64),
        tenant_id: "demo".into(),
        prompt: request.prompt,
        title: request.title,
        severity: request.severity,
        created_by: "u1".into(),
        source: Source::Dashboard,
        entry_points: Vec::new(),
        services: Vec::new(),
    };
    input.validate()?;
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    let result = match usize::from(route) % (ROUTES.len() + 2) {
        0 => create(body),
        1 => parse_body::<Replay>(body).map(drop),
        n => command(ROUTES[n - 2], body, "u1").map(drop),
    };
    if let Err(e) = &result {
        refused_cleanly(e);
    }
});
