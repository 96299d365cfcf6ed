//! Prompts to the incident agent on local workerd, with the fake LLM on 127.0.0.1: the
//! dashboard's `POST …/prompts` → `PROMPT_ADDED` → the `agent` dispatcher starts
//! IncidentPromptWorkflow → the model's tool call is applied as actor `agent`. And
//! `incidentctl ask` to a reasoning model, held to OpenAI's contract by a strict fake.

use incidentd_e2e::{create_incident, incidentctl_binary, poll, LocalWorker, TEST_SECRET};
use incidentd_runtime::native::{FakeLlm, FakeReply};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

fn prompt(worker: &LocalWorker, id: &str, prompt_id: &str, text: &str) {
    let reply = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/prompts"),
            &json!({ "prompt": text, "prompt_id": prompt_id }),
        )
        .unwrap();
    assert_eq!(reply.status, 201, "{:?}", reply.body);
}

/// The incident once the agent has replied `replies` times.
fn after_replies(worker: &LocalWorker, id: &str, replies: usize) -> Value {
    poll(Duration::from_secs(30), || {
        let shown = worker
            .client("demo")
            .get(&format!("/dashboard/incidents/{id}"))
            .unwrap();
        let agent_messages = shown.body["timeline"]
            .as_array()?
            .iter()
            .filter(|e| e["event_type"] == "MESSAGE_ADDED" && e["actor"]["kind"] == "agent")
            .count();
        (agent_messages >= replies).then_some(shown.body)
    })
    .unwrap_or_else(|| panic!("the agent did not reply; log:\n{}", worker.log()))
}

#[test]
fn a_prompt_changes_the_status_as_the_agent_and_a_refused_call_is_explained() {
    let fake = FakeLlm::start(vec![
        // Triage at declaration, keeping the declaration as it is.
        FakeReply::Json(json!({
            "entry_point": null, "severity": "medium",
            "title": "checkout returns 500", "description": "checkout returns 500"
        })),
        FakeReply::ToolCalls(vec![(
            "update_status".into(),
            json!({ "status": "mitigating", "message": "the team rolled back" }),
        )]),
        FakeReply::ToolCalls(vec![(
            "update_status".into(),
            json!({ "status": "open", "message": "reopen" }),
        )]),
    ]);
    let base = fake.base_url();
    let worker = LocalWorker::start_with_vars(
        "prompts",
        &[("LLM_API_KEY", "sk-e2e-test-key"), ("LLM_BASE_URL", &base)],
    );
    let id = create_incident(&worker.client("demo"), "checkout returns 500");

    prompt(
        &worker,
        &id,
        "p1",
        "we mitigated it, set status to mitigating",
    );
    let body = after_replies(&worker, &id, 1);
    assert_eq!(body["incident"]["status"], "mitigating");
    let change = body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "STATUS_UPDATE")
        .cloned()
        .unwrap();
    assert_eq!(change["actor"]["kind"], "agent");

    prompt(&worker, &id, "p2", "reopen it");
    let body = after_replies(&worker, &id, 2);
    assert_eq!(
        body["incident"]["status"], "mitigating",
        "the refused call changed nothing"
    );
    let last_reply = body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["event_type"] == "MESSAGE_ADDED")
        .cloned()
        .unwrap();
    assert!(
        last_reply["data"]["message"]
            .as_str()
            .unwrap()
            .contains("I could not set the status to open"),
        "{last_reply}"
    );
    assert_eq!(fake.requests().len(), 3, "triage, then the two prompts");
    assert!(!worker.log().contains("sk-e2e-test-key"));
}

#[test]
fn incidentctl_ask_reaches_a_reasoning_model_within_openais_contract() {
    incidentctl_binary(); // built before the worker starts, outside its timeouts
    let fake = FakeLlm::reasoning("gpt-5-mini").start(vec![
        FakeReply::Json(json!({
            "entry_point": null, "severity": "medium",
            "title": "checkout returns 500", "description": "checkout returns 500"
        })),
        FakeReply::ToolCalls(vec![(
            "update_status".into(),
            json!({ "status": "mitigating", "message": "the team rolled back" }),
        )]),
    ]);
    let base = fake.base_url();
    let worker = LocalWorker::start_with_secrets(
        "prompts-reasoning",
        &[("LLM_BASE_URL", &base), ("LLM_MODEL", fake.model())],
        &[("LLM_API_KEY", "sk-e2e-test-key")],
    );
    let id = create_incident(&worker.client("demo"), "checkout returns 500");
    let dir = worker.state_dir.join("cli-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let asked = Command::new(incidentctl_binary())
        .args(["--url", &worker.base_url(), "--secret", TEST_SECRET])
        .args([
            "--client",
            "demo",
            "ask",
            &id,
            "we rolled back, set status to mitigating",
        ])
        .args(["--prompt-id", "p-reasoning"])
        .current_dir(&dir)
        .env_remove("INCIDENTD_URL")
        .env_remove("INCIDENTD_SECRET")
        .output()
        .expect("incidentctl runs");
    assert!(
        asked.status.success(),
        "incidentctl ask: {}",
        String::from_utf8_lossy(&asked.stderr)
    );
    let body = after_replies(&worker, &id, 1);
    assert_eq!(body["incident"]["status"], "mitigating");
    let sent = fake.requests();
    assert_eq!(sent.len(), 2, "triage, then the prompt");
    for request in &sent {
        assert_eq!(request["model"], "gpt-5-mini");
        assert!(request.get("temperature").is_none(), "{request}");
    }
    assert_eq!(fake.take_violations(), [], "log:\n{}", worker.log());
}
