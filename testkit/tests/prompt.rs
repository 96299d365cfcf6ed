//! IncidentPromptWorkflow on the native pipeline with the fake LLM: a prompt's tool call is
//! applied through the typed handle as the agent, a refused call becomes an explanation, and
//! without a model the timeline says so.

use incidentd_core::model::{
    ActorKind, AffectedService, Affection, AffectionStatus, Impact, Service, Status,
};
use incidentd_core::{Command, IncidentView};
use incidentd_llm::openai::{API_KEY_VAR, BASE_URL_VAR, MODEL_VAR};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::{FakeLlm, FakeLlmBuilder, FakeReply};
use incidentd_workflows::ai::guidance::ServiceGuide;
use incidentd_workflows::ai::{strict, tools};
use serde_json::{json, Value};
use sluice::outbox::OutboxPolicy;
use sluice::sql::Database;

/// What the team wrote about checkout for the agent (the admin API's service `prompt`).
const CHECKOUT_GUIDANCE: &str =
    "Owned by #payments. Check the payment provider's status page before paging anyone.";

/// The tenant's catalog: in D1 (with checkout's guidance), and as the incident's snapshot.
fn catalog(p: &Pipeline) -> Vec<Service> {
    vec![
        p.catalog_service("checkout", "Checkout", Some(CHECKOUT_GUIDANCE)),
        p.catalog_service("api", "Public API", None),
    ]
}

fn rows(p: &Pipeline, sql: &str) -> Vec<Value> {
    pollster::block_on(p.db.query(sql, Vec::new()))
        .unwrap()
        .into_iter()
        .map(Value::Object)
        .collect()
}

/// Every tool schema of a recorded request fits OpenAI's strict subset.
fn assert_strict_tools(request: &Value) {
    for tool in request["tools"].as_array().into_iter().flatten() {
        let function = &tool["function"];
        assert_eq!(function["strict"], true);
        assert_eq!(
            strict::breaches(&function["parameters"]),
            Vec::<String>::new(),
            "{}",
            function["name"]
        );
    }
}

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
    use incidentd_llm::openai::{LlmConfig, OpenAiCompatible};
    use sluice::native::NativeHttp;
    let mut incident = incidentd_core::testing::state("inc-7", 1, Status::Open, "Checkout failing");
    incident.created_at = 1_000;
    let view = IncidentView {
        incident,
        timeline: Vec::new(),
    };
    let request = incidentd_workflows::ai::agent::request(
        &view,
        "we rolled back, set mitigating",
        "alice",
        &[],
    )
    .unwrap();
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        std::rc::Rc::new(NativeHttp),
    );
    insta::assert_json_snapshot!("agent_request", client.body(&request));
    // As sent to a chat model and to a reasoning one, OpenAI's contract accepts it.
    assert_eq!(incidentd_testkit::client_breaches(&request), []);
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
        Some(sluice::native::InstanceStatus::Complete(output)) => {
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

#[test]
fn the_agent_opens_a_status_page_incident_and_updates_it_and_the_public_page_follows() {
    let open = (
        tools::OPEN_STATUS_PAGE_INCIDENT.to_owned(),
        json!({
            "title": "Checkout unavailable",
            "services": [{ "id": "checkout", "impact": "major" }],
            "message": "We are investigating failed checkouts.",
        }),
    );
    let update = (
        tools::ADD_STATUS_PAGE_UPDATE.to_owned(),
        json!({
            "message": "A fix is rolling out; the API is slow meanwhile.",
            "status": "mitigating",
            "services": [{ "id": "api", "impact": "partial" }],
        }),
    );
    let (fake, p) = with_fake(
        FakeLlm::reasoning("gpt-5-mini"),
        vec![FakeReply::ToolCalls(vec![open, update])],
    );
    let services = catalog(&p);
    let id = p.declare_with_services("checkout failing for every customer", services);
    ask(
        &p,
        &id,
        "open a status page incident for checkout, then say a fix is rolling out",
    );

    let after = view(&p, &id);
    assert_eq!(
        after.incident.affection,
        Some(Affection {
            title: "Checkout unavailable".into(),
            services: vec![
                AffectedService {
                    id: "checkout".into(),
                    impact: Impact::Major
                },
                AffectedService {
                    id: "api".into(),
                    impact: Impact::Partial
                },
            ],
            status: AffectionStatus::Mitigating,
            updates: 2,
        })
    );
    let changes: Vec<_> = after
        .timeline
        .iter()
        .filter(|e| e.event_type == "AFFECTION_UPDATE")
        .collect();
    assert_eq!(changes.len(), 2);
    for change in &changes {
        assert_eq!(
            change.actor.as_ref().map(|a| a.kind),
            Some(ActorKind::Agent)
        );
        assert_eq!(change.data["created_by"], "incident-agent");
    }
    let reply = agent_reply(&after);
    assert!(
        reply.contains("Done: open the status-page incident \"Checkout unavailable\".")
            && reply.contains("Done: post the status-page update."),
        "{reply}"
    );

    // The public page, written by the status_page dispatcher from the same events.
    assert_eq!(
        rows(&p, "SELECT title, status FROM status_incident"),
        [json!({ "title": "Checkout unavailable", "status": "mitigating" })]
    );
    assert_eq!(
        rows(
            &p,
            "SELECT service_id, impact FROM status_incident_service ORDER BY service_id"
        ),
        [
            json!({ "service_id": "api", "impact": "partial" }),
            json!({ "service_id": "checkout", "impact": "major" })
        ]
    );
    assert_eq!(rows(&p, "SELECT message FROM status_update").len(), 2);

    // What the model was offered and told.
    let sent = &fake.requests()[1];
    let offered: Vec<&str> = sent["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        [
            "update_status",
            "update_severity",
            "open_status_page_incident"
        ]
    );
    assert_eq!(
        sent["tools"][2]["function"]["parameters"]["properties"]["services"]["items"]["properties"]
            ["id"]["enum"],
        json!(["checkout", "api"])
    );
    assert_strict_tools(sent);
    let record = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        record.contains(&format!("- checkout (Checkout): {CHECKOUT_GUIDANCE}")),
        "{record}"
    );
    // Dropping the strict fake checks that no request broke the contract.
}

#[test]
fn status_page_calls_the_model_gets_wrong_are_explained_and_change_nothing() {
    // A server that does not enforce strict schemas can send any of these.
    let calls = vec![
        (
            tools::OPEN_STATUS_PAGE_INCIDENT.to_owned(),
            json!({ "title": "Checkout down", "message": "m",
                    "services": [{ "id": "checkout", "impact": "total" }] }),
        ),
        (
            tools::OPEN_STATUS_PAGE_INCIDENT.to_owned(),
            json!({ "title": "Checkout down", "message": "m",
                    "services": [{ "id": "billing", "impact": "major" }] }),
        ),
        (
            tools::ADD_STATUS_PAGE_UPDATE.to_owned(),
            json!({ "message": "fixed", "status": "resolved", "services": null }),
        ),
        (
            tools::OPEN_STATUS_PAGE_INCIDENT.to_owned(),
            json!({ "title": "Checkout down" }),
        ),
    ];
    let (_fake, p) = with_model(vec![FakeReply::ToolCalls(calls)]);
    let services = catalog(&p);
    let id = p.declare_with_services("checkout failing", services);
    ask(&p, &id, "put it on the status page");
    let after = view(&p, &id);
    assert_eq!(after.incident.affection, None);
    assert!(rows(&p, "SELECT incident_id FROM status_incident").is_empty());
    let reply = agent_reply(&after);
    let lines: Vec<&str> = reply.lines().collect();
    assert_eq!(lines.len(), 4, "{reply}");
    assert!(lines[0].starts_with(
        "I could not use open_status_page_incident: `services[0]`: unknown variant `total`"
    ));
    assert!(
        lines[1].starts_with(
            "I could not open the status-page incident \"Checkout down\": services: unknown service \"billing\""
        ),
        "{reply}"
    );
    assert_eq!(
        lines[2],
        "I could not post the status-page update: there is no status-page incident yet; create it first."
    );
    assert_eq!(
        lines[3],
        "I could not use open_status_page_incident: `services` is missing or not a list."
    );
}

#[test]
fn the_agent_request_with_a_status_page_and_guidance_is_a_reviewed_snapshot() {
    use incidentd_llm::openai::{LlmConfig, OpenAiCompatible};
    use sluice::native::NativeHttp;
    let mut incident =
        incidentd_core::testing::state("inc-7", 1, Status::Mitigating, "Checkout failing");
    incident.created_at = 1_000;
    incident.services = vec![
        Service {
            id: "checkout".into(),
            name: "Checkout".into(),
        },
        Service {
            id: "api".into(),
            name: "Public API".into(),
        },
    ];
    incident.affection = Some(Affection {
        title: "Checkout unavailable".into(),
        services: vec![AffectedService {
            id: "checkout".into(),
            impact: Impact::Major,
        }],
        status: AffectionStatus::Investigating,
        updates: 1,
    });
    let view = IncidentView {
        incident,
        timeline: Vec::new(),
    };
    let guides = [ServiceGuide {
        id: "checkout".into(),
        name: "Checkout".into(),
        prompt: CHECKOUT_GUIDANCE.into(),
    }];
    let request = incidentd_workflows::ai::agent::request(
        &view,
        "tell customers a fix is rolling out",
        "alice",
        &guides,
    )
    .unwrap();
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        std::rc::Rc::new(NativeHttp),
    );
    let body = client.body(&request);
    assert_strict_tools(&body);
    insta::assert_json_snapshot!("agent_request_status_page", body);
    assert_eq!(incidentd_testkit::client_breaches(&request), []);
}
