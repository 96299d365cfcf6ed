//! Prompts to the incident agent on local workerd, with the fake LLM on 127.0.0.1: the
//! dashboard's `POST …/prompts` → `PROMPT_ADDED` → the `agent` dispatcher starts
//! IncidentPromptWorkflow → the model's tool call is applied as actor `agent`. And
//! `incidentctl ask` to a reasoning model, held to OpenAI's contract by a strict fake: once to
//! move the status, once to open a status-page incident that the public page then shows, with
//! the service's prompt (set by `incidentctl admin service set --prompt`) in the model's request.

use incidentd_e2e::{
    create_incident, incidentctl_binary, poll, LocalWorker, TEST_ADMIN_TOKEN, TEST_SECRET,
};
use incidentd_testkit::{FakeLlm, FakeReply};
use incidentd_workflows::ai::{tools, triage};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

/// Runs `incidentctl` against `worker` as the demo tenant (and its operator); panics unless
/// it succeeds, returns its standard output.
fn incidentctl(worker: &LocalWorker, args: &[&str]) -> String {
    let dir = worker.state_dir.join("cli-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(incidentctl_binary())
        .args(["--url", &worker.base_url(), "--secret", TEST_SECRET])
        .args(["--client", "demo"])
        .args(args)
        .current_dir(&dir)
        .env_remove("INCIDENTD_URL")
        .env_remove("INCIDENTD_SECRET")
        .env("INCIDENTD_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .output()
        .expect("incidentctl runs");
    assert!(
        output.status.success(),
        "incidentctl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

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
    incidentctl(
        &worker,
        &[
            "ask",
            &id,
            "we rolled back, set status to mitigating",
            "--prompt-id",
            "p-reasoning",
        ],
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

/// What the demo tenant's admins wrote about checkout for the agent.
const CHECKOUT_GUIDANCE: &str =
    "Owned by #payments. Check the payment provider's status page before paging anyone.";

#[test]
fn incidentctl_ask_opens_a_status_page_incident_that_the_public_page_shows() {
    incidentctl_binary(); // built before the worker starts, outside its timeouts
    let fake = FakeLlm::reasoning("gpt-5-mini").start(vec![FakeReply::ToolCalls(vec![(
        tools::OPEN_STATUS_PAGE_INCIDENT.into(),
        json!({
            "title": "Checkout unavailable",
            "services": [{ "id": "checkout", "impact": "major" }],
            "message": "We are investigating failed checkouts.",
        }),
    )])]);
    // Triage at declaration keeps the declaration as it is, whenever it asks.
    fake.script_schema(
        triage::SCHEMA_NAME,
        vec![FakeReply::Json(json!({
            "entry_point": null, "severity": "high",
            "title": "checkout returns 500", "description": "checkout returns 500"
        }))],
    );
    let base = fake.base_url();
    let worker = LocalWorker::start_with_secrets(
        "prompts-status-page",
        &[("LLM_BASE_URL", &base), ("LLM_MODEL", fake.model())],
        &[("LLM_API_KEY", "sk-e2e-test-key")],
    );
    let set = incidentctl(
        &worker,
        &[
            "admin",
            "service",
            "set",
            "demo",
            "checkout",
            "--name",
            "Checkout",
            "--prompt",
            CHECKOUT_GUIDANCE,
        ],
    );
    let set: Value = serde_json::from_str(&set).expect("a JSON answer");
    assert_eq!(set["service"]["prompt"], CHECKOUT_GUIDANCE);

    let id = create_incident(&worker.client("demo"), "checkout returns 500 for everyone");
    incidentctl(
        &worker,
        &[
            "ask",
            &id,
            "open a status page incident for checkout",
            "--prompt-id",
            "p-status-page",
        ],
    );
    let summary_url = format!("{}/status/demo/summary.json", worker.base_url());
    let summary = poll(Duration::from_secs(30), || {
        let summary: Value = ureq::get(&summary_url).call().ok()?.into_json().ok()?;
        (summary["incidents"][0]["name"] == "Checkout unavailable").then_some(summary)
    })
    .unwrap_or_else(|| panic!("the page never showed the incident; log:\n{}", worker.log()));
    let incident = &summary["incidents"][0];
    assert_eq!(incident["status"], "investigating");
    assert_eq!(
        incident["incident_updates"][0]["body"],
        "We are investigating failed checkouts."
    );
    let checkout = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "checkout")
        .expect("the checkout component");
    assert_eq!(checkout["status"], "major_outage");

    let body = after_replies(&worker, &id, 1);
    let opened = body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "AFFECTION_UPDATE")
        .cloned()
        .unwrap();
    assert_eq!(opened["actor"]["kind"], "agent");

    // The model was offered the tool, with the tenant's services, and told checkout's guidance.
    let asked: Vec<Value> = fake
        .requests()
        .into_iter()
        .filter(|r| r.get("tools").is_some())
        .collect();
    assert_eq!(asked.len(), 1, "one prompt, one model call");
    let offered: Vec<&str> = asked[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        offered.contains(&tools::OPEN_STATUS_PAGE_INCIDENT),
        "{offered:?}"
    );
    let record = asked[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        record.contains(&format!("- checkout (Checkout): {CHECKOUT_GUIDANCE}")),
        "{record}"
    );
    assert_eq!(fake.take_violations(), [], "log:\n{}", worker.log());
}
