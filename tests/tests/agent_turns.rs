//! Debounced agent turns on local workerd, with the fake LLM on 127.0.0.1 and a 1 s quiet
//! period: a burst of dashboard messages makes one turn (the Incident object's alarm starts
//! IncidentAgentTurnWorkflow), whose suggestion lands on the timeline once; the same with a
//! reasoning model, held to OpenAI's contract by a strict fake.

use incidentd_e2e::{create_incident, poll, LocalWorker};
use incidentd_testkit::{schema_name, FakeLlm, FakeLlmBuilder, FakeReply, FAKE_MODEL};
use serde_json::{json, Value};
use std::time::Duration;

const KEY: &str = "sk-e2e-agent-turn-key";

fn timeline(worker: &LocalWorker, id: &str) -> Vec<Value> {
    let shown = worker
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap();
    assert_eq!(shown.status, 200, "{:?}", shown.body);
    shown.body["timeline"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The last event before the turn's suggestion.
fn last_before_turn(timeline: &[Value]) -> Option<i64> {
    timeline
        .iter()
        .filter(|e| e["event_type"] != "SUGGESTION_ADDED")
        .filter_map(|e| e["event_id"].as_i64())
        .max()
}

/// The structured answer triage asks for (`incidentd_workflows::ai::triage::SCHEMA_NAME`).
const TRIAGE_SCHEMA: &str = "incident_triage";

fn of_type<'a>(timeline: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    timeline
        .iter()
        .filter(|e| e["event_type"] == event_type)
        .collect()
}

#[test]
fn a_burst_of_messages_makes_one_turn_and_its_suggestion_lands_once() {
    a_burst_makes_one_turn(FakeLlm::builder(), "agent_turns");
}

#[test]
fn a_reasoning_model_takes_the_turn_within_openais_contract() {
    // o4-mini also refuses `parallel_tool_calls`, which the turn's tools used to carry.
    a_burst_makes_one_turn(FakeLlm::reasoning("o4-mini"), "agent_turns-reasoning");
}

/// Three messages, one turn: its tool call lands as one suggestion, its second round ends it.
fn a_burst_makes_one_turn(builder: FakeLlmBuilder, name: &str) {
    let fake = builder.start(vec![
        FakeReply::ToolCalls(vec![(
            "suggest_status".into(),
            json!({ "status": "mitigating", "message": "the deploy was rolled back",
                    "rationale": "people report the rollback fixed the errors" }),
        )]),
        FakeReply::Text("nothing more to suggest".into()),
    ]);
    // Triage asks at the declaration; here it declines (the fallback stands), and its request
    // is not one of the turn's.
    fake.script_schema(
        TRIAGE_SCHEMA,
        vec![FakeReply::Refusal("not in this test".into())],
    );
    let base = fake.base_url();
    let mut vars = vec![
        ("LLM_BASE_URL", base.as_str()),
        ("AGENT_QUIET_SECONDS", "1"),
    ];
    if fake.model() != FAKE_MODEL {
        vars.push(("LLM_MODEL", fake.model()));
    }
    let worker = LocalWorker::start_with_secrets(name, &vars, &[("LLM_API_KEY", KEY)]);
    let client = worker.client("demo");
    let id = create_incident(&client, "checkout returns 500");
    for (n, text) in [
        "all checkouts fail",
        "rolled back the deploy",
        "errors gone",
    ]
    .iter()
    .enumerate()
    {
        let added = client
            .post(
                &format!("/dashboard/incidents/{id}/messages"),
                &json!({ "message": text, "message_id": format!("m{n}") }),
            )
            .unwrap();
        assert_eq!(added.status, 201, "{:?}", added.body);
    }

    let suggested = poll(Duration::from_secs(40), || {
        let timeline = timeline(&worker, &id);
        let found = of_type(&timeline, "SUGGESTION_ADDED")
            .first()
            .map(|e| (*e).clone());
        found
    })
    .unwrap_or_else(|| panic!("no suggestion within 40 s; log:\n{}", worker.log()));
    assert_eq!(suggested["actor"]["kind"], "agent");
    assert_eq!(suggested["data"]["change"]["status"], "mitigating");
    assert_eq!(suggested["data"]["dedupe_key"], "status:open->mitigating");
    assert_eq!(
        (
            suggested["data"]["from_event_id"].as_i64(),
            suggested["data"]["to_event_id"].as_i64()
        ),
        (Some(1), last_before_turn(&timeline(&worker, &id))),
        "one turn over the declaration, triage's note and the three messages"
    );

    // Quiet for well over the quiet period: still one turn, one suggestion.
    std::thread::sleep(Duration::from_secs(4));
    let after = timeline(&worker, &id);
    assert_eq!(of_type(&after, "SUGGESTION_ADDED").len(), 1);
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|body| schema_name(body) != Some(TRIAGE_SCHEMA))
            .count(),
        2,
        "one turn: the suggestion, then nothing more"
    );
    let shown = client.get(&format!("/dashboard/incidents/{id}")).unwrap();
    assert_eq!(shown.body["incident"]["status"], "open", "nothing applied");
    assert!(!worker.log().contains(KEY));
    assert_eq!(fake.take_violations(), [], "log:\n{}", worker.log());
}
