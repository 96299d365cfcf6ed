//! Property tests (fixed seed, run by `cargo test`) of the receivers on mutated input: valid
//! bodies of every dashboard route, every admin route and the three Slack receivers, with
//! random bytes flipped, inserted, removed or cut off. The dashboard and admin parsers accept
//! or answer 400/413/422; the Slack receivers (on the native pipeline, with a connected
//! workspace and a live incident) answer 200 or refuse a bad payload (400), never a
//! transient failure (a 500 Slack would retry) and never a panic. The coverage-guided
//! counterparts are fuzz/fuzz_targets/{dashboard_body,admin_body,slack_*}.rs.

use incidentd_adapters::admin::requests::{parse, Validate};
use incidentd_adapters::dashboard::receiver::requests::{
    command, parse_body, CreateIncidentChecks,
};
use incidentd_adapters::http::ApiError;
use incidentd_adapters::slack::inbound::command_receiver::handle_command;
use incidentd_adapters::slack::inbound::event_receiver::handle_events;
use incidentd_adapters::slack::inbound::interaction_receiver::handle_interaction;
use incidentd_adapters::slack::inbound::tenant_access::{ReceiveError, SlackAccess};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::slack_workspace::connected;
use incidentd_testkit::{FakeSlack, FAKE_TEAM_ID};
use incidentd_wire::admin::{
    AddOverride, CreateTenant, PutEntryPoint, PutRotation, PutService, PutStatusPage, RotateSecret,
};
use incidentd_wire::dashboard::CreateIncident;
use incidentd_wire::slack_ids as ids;
use pollster::block_on;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use serde_json::json;

const NOW_MS: i64 = 1_795_878_245_000;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x5eed_0012),
        ..Config::default()
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Edit::Flip(at, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Insert(at, b)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 0..4)
}

fn mutate(body: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = body.to_vec();
    for edit in edits {
        let len = out.len();
        match *edit {
            Edit::Flip(at, x) if len > 0 => out[at % len] ^= x,
            Edit::Insert(at, b) => out.insert(at % (len + 1), b),
            Edit::Remove(at) if len > 0 => {
                out.remove(at % len);
            }
            Edit::Truncate(at) => out.truncate(at % (len + 1)),
            _ => {}
        }
    }
    out
}

/// One of `bodies`, mutated.
fn mutated(bodies: Vec<Vec<u8>>) -> impl Strategy<Value = (usize, Vec<u8>)> {
    let count = bodies.len();
    (0..count, edits()).prop_map(move |(i, e)| (i, mutate(&bodies[i], &e)))
}

fn refused_cleanly(e: &ApiError) -> Result<(), TestCaseError> {
    prop_assert!(matches!(e.status, 400 | 413 | 422), "{:?}", e);
    Ok(())
}

#[test]
fn dashboard_bodies_are_accepted_or_refused_with_400_413_or_422() {
    let routes: Vec<(&str, serde_json::Value)> = vec![
        (
            "create",
            json!({"prompt": "checkout is failing", "severity": "high", "idempotency_key": "k-1"}),
        ),
        ("severity", json!({"severity": "low"})),
        ("assignee", json!({"assignee": null})),
        ("status", json!({"status": "resolved", "message": "fixed"})),
        ("messages", json!({"message": "m", "message_id": "m1"})),
        ("prompts", json!({"prompt": "why?", "prompt_id": "p1"})),
        (
            "affection",
            json!({"title": "t", "services": [{"service_id": "api", "status": "degraded"}], "message": "m"}),
        ),
        (
            "affection/updates",
            json!({"message": "m", "status": "resolved"}),
        ),
    ];
    let bodies = routes
        .iter()
        .map(|(_, b)| b.to_string().into_bytes())
        .collect();
    TestRunner::new(config(2_000))
        .run(&mutated(bodies), |(i, body)| {
            let result = match routes[i].0 {
                "create" => parse_body::<CreateIncident>(&body)
                    .and_then(|c| c.checked_idempotency_key().map(drop)),
                route => command(route, &body, "u1").map(drop),
            };
            if let Err(e) = &result {
                refused_cleanly(e)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn admin_bodies_are_accepted_or_refused_with_400_413_or_422() {
    let bodies: Vec<serde_json::Value> = vec![
        json!({"id": "acme", "name": "Acme"}),
        json!({"grace_seconds": 60}),
        json!({"slug": "acme", "title": "Acme status"}),
        json!({"name": "API", "description": "d", "public": true}),
        json!({"members": ["ann", "bob"], "shift_hours": 24, "handoff_time": "09:00",
            "time_zone": "Europe/Berlin", "starts_on": "2026-03-28"}),
        json!({"user": "ann", "from": "2026-01-01T10:00:00Z", "to": "2026-01-02T10:00:00Z"}),
        json!({"kind": "rotation", "rotation_id": "primary", "fallback": true}),
    ];
    let raw = bodies.iter().map(|b| b.to_string().into_bytes()).collect();
    TestRunner::new(config(2_000))
        .run(&mutated(raw), |(i, body)| {
            let result = match i {
                0 => parse::<CreateTenant>(&body).and_then(|r| r.validate().map(drop)),
                1 => parse::<RotateSecret>(&body).and_then(|r| r.validate().map(drop)),
                2 => parse::<PutStatusPage>(&body).and_then(|r| r.validate().map(drop)),
                3 => parse::<PutService>(&body).and_then(|r| r.validate().map(drop)),
                4 => parse::<PutRotation>(&body).and_then(|r| r.validate().map(drop)),
                5 => parse::<AddOverride>(&body).and_then(|r| r.validate().map(drop)),
                _ => parse::<PutEntryPoint>(&body).and_then(|r| r.validate().map(drop)),
            };
            if let Err(e) = &result {
                refused_cleanly(e)?;
            }
            Ok(())
        })
        .unwrap();
}

/// A 200 or a 400; a `Transient` would be a 500.
fn answered<T>(result: &Result<T, ReceiveError>) -> Result<(), TestCaseError> {
    prop_assert!(
        !matches!(result, Err(ReceiveError::Transient(_))),
        "{:?}",
        result.as_ref().err()
    );
    Ok(())
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// A connected workspace with one declared incident.
fn host(slack: &FakeSlack) -> (Pipeline, String) {
    let pipeline = connected(slack);
    let id = pipeline.declare("checkout is failing");
    (pipeline, id)
}

#[test]
fn slack_events_on_mutated_bodies_are_answered_200_or_400() {
    let slack = FakeSlack::start();
    let (pipeline, _) = host(&slack);
    let callback = |id: &str, event: serde_json::Value| {
        json!({"type": "event_callback", "team_id": FAKE_TEAM_ID, "api_app_id": "A0APP",
            "event_id": id, "event_time": NOW_MS / 1_000, "event": event})
        .to_string()
        .into_bytes()
    };
    let bodies = vec![
        callback(
            "Ev1",
            json!({"type": "app_mention", "channel": "C0GEN", "user": "U0ALICE",
            "text": "<@UFAKEBOT> checkout is failing", "ts": "1.000100"}),
        ),
        callback(
            "Ev2",
            json!({"type": "message", "channel": "C0GEN", "user": "U0ALICE",
            "text": "still failing", "ts": "1.000200", "thread_ts": "1.000100"}),
        ),
        br#"{"type":"url_verification","token":"t","challenge":"abc123"}"#.to_vec(),
    ];
    TestRunner::new(config(300))
        .run(&mutated(bodies), |(_, body)| {
            let result = block_on(handle_events(
                pipeline.db.as_ref(),
                pipeline.incidents.as_ref(),
                &body,
                NOW_MS,
            ));
            answered(&result)
        })
        .unwrap();
}

#[test]
fn slack_interactions_on_mutated_bodies_are_answered_200_or_400() {
    let slack = FakeSlack::start();
    let (pipeline, id) = host(&slack);
    let access = SlackAccess::from_services(pipeline.services.as_ref());
    let action = |action_id: &str, value: &str| {
        let payload = json!({
            "type": "block_actions", "user": {"id": "U0BOB"}, "team": {"id": FAKE_TEAM_ID},
            "api_app_id": "A0APP", "trigger_id": "trigger-1", "channel": {"id": "C0INC"},
            "message": {"ts": "1.2"},
            "actions": [{"type": "static_select", "action_id": action_id,
                "block_id": ids::incident_block_id(&id, 1), "selected_option": {"value": value}}],
        });
        form(&[("payload", &payload.to_string())])
    };
    let submission = json!({
        "type": "view_submission", "user": {"id": "U0BOB"}, "team": {"id": FAKE_TEAM_ID},
        "api_app_id": "A0APP",
        "view": {"id": "V0MODAL", "callback_id": ids::STATUS_MODAL,
            "private_metadata": json!({"incident_id": id, "status": "resolved"}).to_string(),
            "state": {"values": {ids::STATUS_MESSAGE_BLOCK: {ids::STATUS_MESSAGE_INPUT:
                {"type": "plain_text_input", "value": "fixed"}}}}},
    });
    let bodies = vec![
        action(ids::SEVERITY_SELECT, "high"),
        action(ids::STATUS_SELECT, "resolved"),
        form(&[("payload", &submission.to_string())]),
    ];
    TestRunner::new(config(300))
        .run(&mutated(bodies), |(_, body)| {
            let result = block_on(handle_interaction(
                pipeline.db.as_ref(),
                pipeline.incidents.as_ref(),
                &access,
                &body,
                NOW_MS,
            ));
            answered(&result)
        })
        .unwrap();
}

#[test]
fn slack_commands_on_mutated_bodies_are_answered_200_or_400() {
    let slack = FakeSlack::start();
    let (pipeline, _) = host(&slack);
    let command = |text: &str, trigger: &str| {
        form(&[
            ("team_id", FAKE_TEAM_ID),
            ("channel_id", "C0GEN"),
            ("user_id", "U0ALICE"),
            ("command", "/incident"),
            ("text", text),
            ("api_app_id", "A0APP"),
            ("response_url", "https://hooks.slack.com/commands/T/1/x"),
            ("trigger_id", trigger),
        ])
    };
    let bodies = vec![
        command("Database is down", "trig.1"),
        command("status", "trig.2"),
        command("help", "trig.3"),
    ];
    TestRunner::new(config(300))
        .run(&mutated(bodies), |(_, body)| {
            let result = block_on(handle_command(
                pipeline.db.as_ref(),
                pipeline.incidents.as_ref(),
                &body,
                NOW_MS,
            ));
            answered(&result)
        })
        .unwrap();
}
