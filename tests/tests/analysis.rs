//! IncidentAnalysisWorkflow on local workerd: a resolved incident is archived, analysed and its
//! analysis served by `GET /dashboard/incidents/:id/analysis`, with the fake LLM on 127.0.0.1
//! writing the review, and without a model (measures only); and with a reasoning model, held
//! to OpenAI's contract by a strict fake.

use incidentd_e2e::{create_incident, poll, LocalWorker};
use incidentd_testkit::{FakeLlm, FakeReply};
use serde_json::{json, Value};
use std::time::Duration;

fn resolve(worker: &LocalWorker, id: &str) {
    let client = worker.client("demo");
    let added = client
        .post(
            &format!("/dashboard/incidents/{id}/messages"),
            &json!({ "message": "rolled back", "message_id": "m1" }),
        )
        .unwrap();
    assert_eq!(added.status, 201, "{:?}", added.body);
    let resolved = client
        .post(
            &format!("/dashboard/incidents/{id}/status"),
            &json!({ "status": "resolved", "message": "fixed" }),
        )
        .unwrap();
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
}

fn analysis(worker: &LocalWorker, id: &str) -> Value {
    let client = worker.client("demo");
    poll(Duration::from_secs(40), || {
        let reply = client
            .get(&format!("/dashboard/incidents/{id}/analysis"))
            .unwrap();
        (reply.status == 200).then_some(reply.body)
    })
    .unwrap_or_else(|| panic!("no analysis within 40 s; log:\n{}", worker.log()))
}

#[test]
fn a_closed_incident_is_analysed_with_the_model_and_without_one() {
    let review = json!({
        "summary": "A deploy broke checkout; it was rolled back.",
        "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
        "root_cause": "a bad deploy",
        "impact": "checkout failed",
        "action_items": [{ "title": "add a canary", "owner": null }]
    });
    let fake = FakeLlm::start(Vec::new());
    fake.script_schema("postmortem", vec![FakeReply::Json(review.clone())]);
    // Triage at declaration may ask too (unless the incident is closed first): it keeps the
    // declaration as it is.
    fake.script_schema(
        "incident_triage",
        vec![FakeReply::Json(json!({
            "entry_point": null, "severity": "medium",
            "title": "checkout returns 500", "description": "checkout returns 500"
        }))],
    );
    let base = fake.base_url();
    let with_model = LocalWorker::start_with_vars(
        "analysis-model",
        &[("LLM_API_KEY", "sk-e2e-test-key"), ("LLM_BASE_URL", &base)],
    );
    let id = create_incident(&with_model.client("demo"), "checkout returns 500");
    let before = with_model
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}/analysis"))
        .unwrap();
    assert_eq!(before.status, 404, "not analysed while open");
    resolve(&with_model, &id);
    let analysed = analysis(&with_model, &id);
    assert_eq!(analysed["postmortem"], review);
    assert_eq!(analysed["action_items"][0]["title"], "add a canary");
    assert_eq!(analysed["metrics"]["status_changes"], 1);
    let sent = fake.requests_for_schema("postmortem");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["response_format"]["json_schema"]["name"],
        "postmortem"
    );
    assert!(
        !with_model.log().contains("sk-e2e-test-key"),
        "the key never reaches the log"
    );

    let without = LocalWorker::start("analysis-no-model");
    let id = create_incident(&without.client("demo"), "search is slow");
    resolve(&without, &id);
    let measured = analysis(&without, &id);
    assert!(measured["postmortem"].is_null(), "{measured}");
    assert_eq!(
        measured["note"],
        "no language model is configured: measures only"
    );
    assert!(
        measured["metrics"]["time_to_resolve_ms"].is_i64(),
        "{measured}"
    );
}

#[test]
fn a_reasoning_model_writes_the_review_within_openais_contract() {
    let review = json!({
        "summary": "A deploy broke checkout; it was rolled back.",
        "timeline": [{ "at": "T+00:00:00", "event": "declared" }],
        "root_cause": "a bad deploy",
        "impact": "checkout failed",
        "action_items": [{ "title": "add a canary", "owner": null }]
    });
    let fake = FakeLlm::reasoning("o3").start(Vec::new());
    fake.script_schema("postmortem", vec![FakeReply::Json(review.clone())]);
    fake.script_schema(
        "incident_triage",
        vec![FakeReply::Json(json!({
            "entry_point": null, "severity": "medium",
            "title": "checkout returns 500", "description": "checkout returns 500"
        }))],
    );
    let base = fake.base_url();
    let worker = LocalWorker::start_with_vars(
        "analysis-reasoning",
        &[
            ("LLM_API_KEY", "sk-e2e-test-key"),
            ("LLM_BASE_URL", &base),
            ("LLM_MODEL", fake.model()),
        ],
    );
    let id = create_incident(&worker.client("demo"), "checkout returns 500");
    resolve(&worker, &id);
    let analysed = analysis(&worker, &id);
    assert_eq!(analysed["postmortem"], review);
    let sent = fake.requests_for_schema("postmortem");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["model"], "o3");
    assert!(sent[0].get("temperature").is_none(), "{}", sent[0]);
    assert_eq!(fake.take_violations(), [], "log:\n{}", worker.log());
}
