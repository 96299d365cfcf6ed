//! IncidentPromptWorkflow on the native pipeline with the fake LLM: a prompt's tool call is
//! applied through the typed handle as the agent, a refused call becomes an explanation, and
//! without a model the timeline says so.

use incidentd_core::model::{ActorKind, Status};
use incidentd_core::{Command, IncidentView};
use incidentd_runtime::llm::openai::{API_KEY_VAR, BASE_URL_VAR, MODEL_VAR};
use incidentd_runtime::native::{FakeLlm, FakeLlmBuilder, FakeReply};
use incidentd_runtime::outbox::OutboxPolicy;
use incidentd_workflows::testing::Pipeline;
use serde_json::json;

fn ask(p: &Pipeline, id: &str, prompt: &str) {
    p.apply(
        id,
        Command::AddPrompt {
            prompt: prompt.into(),
            prompt_id: "p1".into(),
            user_id: "alice".into(),
        },
    );
    p.drain();
}

fn view(p: &Pipeline, id: &str) -> IncidentView {
    pollster::block_on(p.handle(id).get()).unwrap()
}

fn agent_reply(view: &IncidentView) -> String {
    view.timeline
        .iter()
        .rev()
        .find(|e| e.event_type == "MESSAGE_ADDED")
        .map(|e| e.data["message"].as_str().unwrap_or_default().to_owned())
        .expect("the agent replied")
}

/// The fake answers triage at the declaration first (keeping everything as declared), then
/// `script`.
fn with_model(script: Vec<FakeReply>) -> (FakeLlm, Pipeline) {
    with_fake(FakeLlm::builder(), script)
}

/// [`with_model`] with the fake `builder` makes, the Worker's `LLM_MODEL` set to its model.
fn with_fake(builder: FakeLlmBuilder, script: Vec<FakeReply>) -> (FakeLlm, Pipeline) {
    let triage = FakeReply::Json(json!({
        "entry_point": null, "severity": "medium",
        "title": "checkout failing", "description": "checkout failing"
    }));
    let fake = builder.start([vec![triage], script].concat());
    let (base, model) = (fake.base_url(), fake.model().to_owned());
    let p = Pipeline::with_config(
        OutboxPolicy::default(),
        &[
            (API_KEY_VAR, "sk-test"),
            (BASE_URL_VAR, &base),
            (MODEL_VAR, &model),
        ],
    );
    (fake, p)
}

#[test]
fn a_tool_call_changes_the_incident_as_the_agent() {
    let (fake, p) = with_model(vec![FakeReply::ToolCalls(vec![(
        "update_status".into(),
        json!({ "status": "mitigating", "message": "the team rolled back" }),
    )])]);
    let id = p.declare("checkout failing");
    ask(&p, &id, "we mitigated it, set status to mitigating");
    let after = view(&p, &id);
    assert_eq!(after.incident.status, Status::Mitigating);
    let change = after
        .timeline
        .iter()
        .find(|e| e.event_type == "STATUS_UPDATE")
        .unwrap();
    assert_eq!(
        change.actor.as_ref().map(|a| a.kind),
        Some(ActorKind::Agent)
    );
    assert!(agent_reply(&after).contains("Done: set the status to mitigating"));
    let sent = &fake.requests()[1];
    assert_eq!(sent["tools"][0]["function"]["name"], "update_status");
    assert!(sent["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("set status to mitigating"));
    assert_eq!(p.prompts.instance_ids().len(), 1);
}

#[test]
fn a_reasoning_model_answers_a_prompt_within_openais_contract() {
    let (fake, p) = with_fake(
        FakeLlm::reasoning("gpt-5-mini"),
        vec![FakeReply::ToolCalls(vec![(
            "update_status".into(),
            json!({ "status": "mitigating", "message": "the team rolled back" }),
        )])],
    );
    let id = p.declare("checkout failing");
    ask(&p, &id, "we mitigated it, set status to mitigating");
    let after = view(&p, &id);
    assert_eq!(after.incident.status, Status::Mitigating);
    assert!(agent_reply(&after).contains("Done: set the status to mitigating"));
    let sent = &fake.requests()[1];
    assert_eq!(sent["model"], "gpt-5-mini");
    for refused in ["temperature", "max_tokens"] {
        assert!(sent.get(refused).is_none(), "{refused}: {sent}");
    }
    // Dropping the fake checks that no request broke the contract.
}

#[test]
fn a_refused_tool_call_becomes_an_explanation_and_changes_nothing() {
    let (_fake, p) = with_model(vec![FakeReply::ToolCalls(vec![(
        "update_status".into(),
        json!({ "status": "open", "message": "reopen" }),
    )])]);
    let id = p.declare("checkout failing");
    ask(&p, &id, "reopen it");
    let after = view(&p, &id);
    assert_eq!(after.incident.status, Status::Open);
    assert!(
        agent_reply(&after).contains("I could not set the status to open"),
        "{}",
        agent_reply(&after)
    );
}

#[test]
fn a_redelivered_prompt_runs_once() {
    let (fake, p) = with_model(vec![FakeReply::Text("Looking into it.".into())]);
    let id = p.declare("checkout failing");
    ask(&p, &id, "any idea?");
    ask(&p, &id, "any idea?"); // the same prompt id again: deduplicated
    assert_eq!(fake.requests().len(), 2, "triage, then the prompt once");
    let replies = view(&p, &id)
        .timeline
        .iter()
        .filter(|e| e.event_type == "MESSAGE_ADDED")
        .count();
    assert_eq!(replies, 1);
}

#[test]
fn without_a_model_the_timeline_says_so() {
    let p = Pipeline::new();
    let id = p.declare("checkout failing");
    ask(&p, &id, "set status to mitigating");
    let after = view(&p, &id);
    assert_eq!(after.incident.status, Status::Open);
    assert!(agent_reply(&after).contains("No language model is configured"));
}

#[test]
fn the_agent_request_is_a_reviewed_snapshot() {
    use incidentd_runtime::llm::openai::{LlmConfig, OpenAiCompatible};
    use incidentd_runtime::native::NativeHttp;
    let mut incident = incidentd_core::testing::state("inc-7", 1, Status::Open, "Checkout failing");
    incident.created_at = 1_000;
    let view = IncidentView {
        incident,
        timeline: Vec::new(),
    };
    let request =
        incidentd_workflows::ai::agent::request(&view, "we rolled back, set mitigating", "alice")
            .unwrap();
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        std::rc::Rc::new(NativeHttp),
    );
    insta::assert_json_snapshot!("agent_request", client.body(&request));
    // As sent to a chat model and to a reasoning one, OpenAI's contract accepts it.
    assert_eq!(incidentd_runtime::native::client_breaches(&request), []);
}

/// Found by the fault campaign (seed 18, no faults needed): a prompt asked just before the
/// close had its reply refused (the incident takes no more changes) and its run errored.
/// It now ends quietly and says why in its output.
#[test]
fn a_prompt_asked_just_before_the_close_ends_its_run_quietly() {
    let p = Pipeline::new();
    let id = p.declare("checkout failing");
    let prompt = p.apply(
        &id,
        Command::AddPrompt {
            prompt: "what changed?".into(),
            prompt_id: "p1".into(),
            user_id: "alice".into(),
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
    let instance = format!("prompt-{id}-{}", prompt.event_id.unwrap());
    match p.prompts.instance_status(&instance) {
        Some(incidentd_runtime::native::InstanceStatus::Complete(output)) => {
            assert_eq!(output["answered"], false, "{output}");
            assert!(output["reason"].as_str().unwrap().contains("closed"));
        }
        other => panic!("the prompt's run: {other:?}"),
    }
    assert!(
        p.incidents.object(&id).object.state().unwrap().is_none(),
        "the incident was still finalised"
    );
}
