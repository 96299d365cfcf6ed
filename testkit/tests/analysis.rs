//! IncidentAnalysisWorkflow: measures from the timeline, the review request (snapshot), and the
//! whole workflow on the native pipeline with and without a model.

use incidentd_core::model::{Actor, Status};
use incidentd_core::{Command, IncidentView, TimelineEntry};
use incidentd_llm::openai::{LlmConfig, OpenAiCompatible, API_KEY_VAR, BASE_URL_VAR, MODEL_VAR};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::{FakeLlm, FakeReply};
use incidentd_workflows::ai::{metrics::metrics, postmortem};
use serde_json::{json, Value};
use sluice::native::NativeHttp;
use sluice::outbox::OutboxPolicy;
use sluice::sql::Database;
use std::rc::Rc;

fn entry(
    event_id: i64,
    at_s: i64,
    event_type: &str,
    data: Value,
    actor: Option<Actor>,
) -> TimelineEntry {
    TimelineEntry {
        event_id,
        event_type: event_type.into(),
        data,
        actor,
        at: 1_000_000 + at_s * 1_000,
        published_at: Some(1_000_000 + at_s * 1_000),
        attempts: 0,
        dead_lettered: false,
        last_error: None,
    }
}

/// A fixed incident: declared, an agent note, a person's message, mitigated, resolved.
fn fixed_incident() -> IncidentView {
    let mut incident =
        incidentd_core::testing::state("inc-7", 5, Status::Resolved, "Checkout failing");
    incident.created_at = 1_000_000;
    incident.prompt = "checkout returns 500 since the 10:00 deploy".into();
    IncidentView {
        incident,
        timeline: vec![
            entry(
                1,
                0,
                "INCIDENT_CREATED",
                json!({ "title": "Checkout failing" }),
                Some(Actor::user("alice")),
            ),
            entry(
                2,
                30,
                "MESSAGE_ADDED",
                json!({ "message": "looking at logs", "message_id": "a1", "user_id": "agent" }),
                Some(Actor::agent()),
            ),
            entry(
                3,
                120,
                "MESSAGE_ADDED",
                json!({ "message": "rolled back the deploy", "message_id": "m1", "user_id": "bob" }),
                Some(Actor::slack("U123")),
            ),
            entry(
                4,
                300,
                "STATUS_UPDATE",
                json!({ "status": "mitigating", "message": "rollback done" }),
                Some(Actor::user("bob")),
            ),
            entry(
                5,
                900,
                "STATUS_UPDATE",
                json!({ "status": "resolved", "message": "error rate normal" }),
                Some(Actor::user("bob")),
            ),
        ],
    }
}

#[test]
fn measures_come_from_the_timeline_and_skip_the_agent() {
    let m = metrics(&fixed_incident());
    assert_eq!(
        m.time_to_first_human_response_ms,
        Some(120_000),
        "the agent's note at 30 s does not count"
    );
    assert_eq!(m.time_to_mitigate_ms, Some(300_000));
    assert_eq!(m.time_to_resolve_ms, Some(900_000));
    assert_eq!((m.status_changes, m.messages), (2, 2));
}

#[test]
fn the_review_request_is_a_reviewed_snapshot() {
    let view = fixed_incident();
    let request = postmortem::request(&view, &metrics(&view)).unwrap();
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        Rc::new(NativeHttp),
    );
    insta::assert_json_snapshot!("postmortem_request", client.body(&request));
    // As sent to a chat model and to a reasoning one, OpenAI's contract accepts it.
    assert_eq!(incidentd_testkit::client_breaches(&request), []);
}

fn close_an_incident(p: &Pipeline) -> String {
    let id = p.declare("checkout returns 500");
    p.apply(
        &id,
        Command::AddMessage {
            message: "rolled back".into(),
            message_id: "m1".into(),
            user_id: "bob".into(),
        },
    );
    p.apply(
        &id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "fixed".into(),
        },
    );
    p.drain();
    id
}

fn analysis_row(p: &Pipeline, id: &str) -> Option<serde_json::Map<String, Value>> {
    pollster::block_on(p.db.query(
        "SELECT metrics, postmortem, note, model FROM incident_analysis WHERE incident_id = ?",
        vec![id.into()],
    ))
    .unwrap()
    .into_iter()
    .next()
}

#[test]
fn without_a_model_the_measures_alone_are_stored_and_the_workflow_succeeds() {
    let p = Pipeline::new();
    let id = close_an_incident(&p);
    let row = analysis_row(&p, &id).expect("analysed after the close");
    assert!(row["postmortem"].is_null());
    assert_eq!(
        row["note"],
        "no language model is configured: measures only"
    );
    let metrics: Value = serde_json::from_str(row["metrics"].as_str().unwrap()).unwrap();
    assert_eq!(metrics["status_changes"], 1);
    assert_eq!(p.analysis.instance_ids(), [format!("analysis-{id}")]);
}

#[test]
fn with_a_model_the_review_and_its_action_items_are_stored_once() {
    let review = json!({
        "summary": "A deploy broke checkout; it was rolled back.",
        "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
        "root_cause": "a bad deploy",
        "impact": "checkout failed for some minutes",
        "action_items": [{ "title": "add a canary", "owner": null }, { "title": "alert on 500s", "owner": "bob" }]
    });
    // The first answer breaks the schema (not retried), so a 500 first shows the retry.
    let fake = FakeLlm::start(vec![
        FakeReply::Status {
            status: 500,
            kind: "server_error".into(),
        },
        FakeReply::Json(review.clone()),
    ]);
    let base = fake.base_url();
    let p = Pipeline::with_config(
        OutboxPolicy::default(),
        &[(API_KEY_VAR, "sk-test"), (BASE_URL_VAR, &base)],
    );
    let id = close_an_incident(&p);
    let row = analysis_row(&p, &id).expect("analysed");
    let stored: Value = serde_json::from_str(row["postmortem"].as_str().unwrap()).unwrap();
    assert_eq!(stored, review);
    assert!(row["note"].is_null());
    let actions = pollster::block_on(p.db.query(
        "SELECT title, owner FROM incident_action WHERE incident_id = ? ORDER BY position",
        vec![id.as_str().into()],
    ))
    .unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[1]["owner"], "bob");
    assert_eq!(
        fake.requests().len(),
        2,
        "one retry after the 500, then no more calls"
    );
}

#[test]
fn a_reasoning_model_writes_the_review_within_openais_contract() {
    let review = json!({
        "summary": "A deploy broke checkout; it was rolled back.",
        "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
        "root_cause": "a bad deploy",
        "impact": "checkout failed for some minutes",
        "action_items": [{ "title": "add a canary", "owner": null }]
    });
    let fake = FakeLlm::reasoning("o3").start(Vec::new());
    fake.script_schema("postmortem", vec![FakeReply::Json(review.clone())]);
    let base = fake.base_url();
    let p = Pipeline::with_config(
        OutboxPolicy::default(),
        &[
            (API_KEY_VAR, "sk-test"),
            (BASE_URL_VAR, &base),
            (MODEL_VAR, "o3"),
        ],
    );
    let id = close_an_incident(&p);
    let row = analysis_row(&p, &id).expect("analysed");
    let stored: Value = serde_json::from_str(row["postmortem"].as_str().unwrap()).unwrap();
    assert_eq!(stored, review);
    let sent = fake.requests_for_schema("postmortem");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].get("temperature").is_none(), "{}", sent[0]);
    // Dropping the fake checks that no request broke the contract.
}

#[test]
fn a_model_that_keeps_failing_leaves_the_measures_and_says_why() {
    let fake = FakeLlm::start(vec![FakeReply::Malformed]);
    let base = fake.base_url();
    let p = Pipeline::with_config(
        OutboxPolicy::default(),
        &[(API_KEY_VAR, "sk-test"), (BASE_URL_VAR, &base)],
    );
    let id = close_an_incident(&p);
    let row = analysis_row(&p, &id).expect("analysed");
    assert!(row["postmortem"].is_null());
    assert!(
        row["note"]
            .as_str()
            .unwrap()
            .starts_with("the review failed"),
        "{row:?}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "a malformed answer is not retried"
    );
}
