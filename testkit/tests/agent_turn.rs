//! IncidentAgentTurnWorkflow on the native pipeline with a scripted fake LLM: people's messages
//! make one debounced turn, whose suggestions are stored as `SUGGESTION_ADDED` events; the loop
//! is bounded (calls, suggestions, one use per tool); no-ops and repeats are dropped; a crash
//! after the model answered stores each suggestion once. Plus the request's snapshot.

use incidentd_core::model::{
    Actor, AffectedService, Affection, AffectionStatus, Impact, Service, Severity, Status,
};
use incidentd_core::object::AgentTurn;
use incidentd_core::{Command, Idempotency, IncidentView, SuggestionOutcome, TimelineEntry};
use incidentd_llm::openai::{LlmConfig, OpenAiCompatible, API_KEY_VAR, BASE_URL_VAR, MODEL_VAR};
use incidentd_testkit::pipeline::Pipeline;
use incidentd_testkit::{schema_name, FakeLlm, FakeLlmBuilder, FakeReply};
use incidentd_workflows::ai::guidance::ServiceGuide;
use incidentd_workflows::ai::{strict, suggestions, triage};
use serde_json::{json, Value};
use sluice::native::NativeHttp;
use sluice::outbox::OutboxPolicy;
use sluice::sql::Database;
use std::rc::Rc;

fn with_model(script: Vec<FakeReply>) -> (FakeLlm, Pipeline) {
    with_fake(FakeLlm::builder(), script)
}

/// [`with_model`] with the fake `builder` makes, the Worker's `LLM_MODEL` set to its model.
fn with_fake(builder: FakeLlmBuilder, script: Vec<FakeReply>) -> (FakeLlm, Pipeline) {
    let fake = builder.start(script);
    // Triage asks first at each declaration: it declines here (the fallback stands), and
    // its requests are left out of the turns' counts (`turn_requests`).
    fake.script_schema(
        triage::SCHEMA_NAME,
        vec![FakeReply::Refusal("not in this test".into()); 4],
    );
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

/// A person writes in the incident (as the dashboard records it).
fn say(p: &Pipeline, id: &str, text: &str) {
    let message_id = format!("m-{}", p.clock.get());
    let command = Command::AddMessage {
        message: text.into(),
        message_id,
        user_id: "alice".into(),
    };
    pollster::block_on(
        p.handle(id)
            .apply(Actor::user("alice"), command, Idempotency::None),
    )
    .expect("recorded");
}

/// The requests the agent turns made (not triage's).
fn turn_requests(fake: &FakeLlm) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|body| schema_name(body) != Some(triage::SCHEMA_NAME))
        .collect()
}

fn view(p: &Pipeline, id: &str) -> IncidentView {
    pollster::block_on(p.handle(id).get()).unwrap()
}

fn suggestions_of(view: &IncidentView) -> Vec<&TimelineEntry> {
    view.timeline
        .iter()
        .filter(|e| e.event_type == "SUGGESTION_ADDED")
        .collect()
}

fn call(name: &str, arguments: Value) -> (String, Value) {
    (name.to_owned(), arguments)
}

fn mitigating() -> (String, Value) {
    call(
        "suggest_status",
        json!({ "status": "mitigating", "message": "rolled back", "rationale": "alice rolled back" }),
    )
}

#[test]
fn a_burst_of_messages_makes_one_turn_whose_suggestions_are_stored() {
    let (fake, p) = with_model(vec![
        FakeReply::ToolCalls(vec![
            mitigating(),
            call(
                "suggest_severity",
                json!({ "severity": "high", "rationale": "all checkouts fail" }),
            ),
        ]),
        FakeReply::Text("nothing to suggest".into()),
    ]);
    let id = p.declare("checkout failing");
    say(&p, &id, "all checkouts fail");
    p.clock.set(p.clock.get() + 5_000);
    say(&p, &id, "rolled back the deploy");
    p.clock.set(p.clock.get() + 5_000);
    say(&p, &id, "errors dropping");
    p.drain();

    assert_eq!(
        p.agent_turns.instance_ids().len(),
        1,
        "one turn for the burst"
    );
    let after = view(&p, &id);
    // Everything before the turn: the burst, and triage's note (written when the pipeline
    // first ran the incident's workflow, after the burst).
    let last_before_turn = after
        .timeline
        .iter()
        .filter(|e| e.event_type != "SUGGESTION_ADDED")
        .map(|e| e.event_id)
        .max();
    let stored = suggestions_of(&after);
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[0].data["change"],
        json!({ "kind": "status", "status": "mitigating", "message": "rolled back" })
    );
    assert_eq!(stored[0].data["dedupe_key"], "status:open->mitigating");
    assert_eq!(stored[0].data["rationale"], "alice rolled back");
    assert_eq!(
        (
            stored[0].data["from_event_id"].clone(),
            stored[0].data["to_event_id"].clone()
        ),
        (json!(1), json!(last_before_turn)),
        "the turn covers every event before it"
    );
    assert_eq!(stored[1].data["change"]["severity"], "high");
    assert_eq!(stored[0].actor, Some(Actor::agent()));
    assert_eq!(
        after.incident.status,
        Status::Open,
        "suggestions change nothing"
    );

    let sent = turn_requests(&fake);
    assert_eq!(sent.len(), 1, "both tools used: nothing left to offer");
    let record = sent[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        record.contains(&format!(
            "New since your last look (events 1 to {})",
            last_before_turn.unwrap()
        )),
        "{record}"
    );
    assert!(record.contains("errors dropping"));

    // The turn reported its end: a later message gets its own turn.
    say(&p, &id, "stable for ten minutes");
    p.drain();
    assert_eq!(p.agent_turns.instance_ids().len(), 2);
}

#[test]
fn a_reasoning_model_takes_a_turn_of_several_rounds_within_openais_contract() {
    // o4-mini refuses `parallel_tool_calls` besides sampling parameters and `max_tokens`; the
    // second round echoes the call and answers it, which the fake checks too.
    let (fake, p) = with_fake(
        FakeLlm::reasoning("o4-mini"),
        vec![
            FakeReply::ToolCalls(vec![mitigating()]),
            FakeReply::Text("nothing more".into()),
        ],
    );
    let id = p.declare("checkout failing");
    say(&p, &id, "rolled back the deploy");
    p.drain();
    let after = view(&p, &id);
    let stored = suggestions_of(&after);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].data["change"]["status"], "mitigating");
    let sent = turn_requests(&fake);
    assert_eq!(sent.len(), 2);
    let second = sent[1]["messages"].as_array().unwrap();
    assert_eq!(second[second.len() - 1]["role"], "tool");
    for body in &sent {
        for refused in ["temperature", "parallel_tool_calls", "max_tokens"] {
            assert!(body.get(refused).is_none(), "{refused}: {body}");
        }
    }
    // Dropping the fake checks that no request broke the contract.
}

#[test]
fn the_loop_makes_at_most_five_calls() {
    // A tool that is never offered (no status page) uses no tool up, so only the cap stops it.
    let unavailable = call(
        "suggest_status_page_update",
        json!({ "message": "m", "status": null, "rationale": "r" }),
    );
    let (fake, p) = with_model(vec![FakeReply::ToolCalls(vec![unavailable]); 8]);
    let id = p.declare("checkout failing");
    say(&p, &id, "still failing");
    p.drain();
    assert_eq!(turn_requests(&fake).len(), 5);
    assert!(suggestions_of(&view(&p, &id)).is_empty());
    let last = &turn_requests(&fake)[4]["messages"];
    let told = last.as_array().unwrap().last().unwrap()["content"].clone();
    assert_eq!(
        told,
        "not kept: `suggest_status_page_update` is not available"
    );
}

#[test]
fn the_loop_keeps_at_most_three_suggestions_and_each_tool_once() {
    let page_update = call(
        "suggest_status_page_update",
        json!({ "message": "A fix is rolling out.", "status": "mitigating", "rationale": "r" }),
    );
    let (fake, p) = with_model(vec![FakeReply::ToolCalls(vec![
        mitigating(),
        mitigating(),
        call(
            "suggest_severity",
            json!({ "severity": "low", "rationale": "r" }),
        ),
        page_update,
    ])]);
    let checkout = Service {
        id: "checkout".into(),
        name: "Checkout".into(),
    };
    let id = p.declare_with_services("checkout failing", vec![checkout]);
    let on_the_page = p.apply(
        &id,
        Command::CreateAffection {
            title: "Checkout degraded".into(),
            services: vec![AffectedService {
                id: "checkout".into(),
                impact: Impact::Major,
            }],
            message: "Investigating".into(),
            created_by: "alice".into(),
        },
    );
    assert!(on_the_page.incident.affection.is_some());
    say(&p, &id, "fix deploying");
    p.drain();
    let stored = suggestions_of(&view(&p, &id)).len();
    assert_eq!(stored, 3);
    assert_eq!(turn_requests(&fake).len(), 1, "three kept: the loop ends");
}

#[test]
fn no_ops_and_repeats_of_earlier_suggestions_are_dropped() {
    let (fake, p) = with_model(vec![
        FakeReply::ToolCalls(vec![mitigating()]),
        FakeReply::Text("nothing more".into()),
        // The next turn: the same proposal again, and the current severity.
        FakeReply::ToolCalls(vec![
            mitigating(),
            call(
                "suggest_severity",
                json!({ "severity": "medium", "rationale": "r" }),
            ),
        ]),
    ]);
    let id = p.declare("checkout failing");
    say(&p, &id, "rolled back");
    p.drain();
    assert_eq!(suggestions_of(&view(&p, &id)).len(), 1);
    say(&p, &id, "looks better");
    p.drain();
    assert_eq!(p.agent_turns.instance_ids().len(), 2);
    assert_eq!(
        suggestions_of(&view(&p, &id)).len(),
        1,
        "nothing new stored"
    );
    let sent = turn_requests(&fake);
    assert_eq!(sent.len(), 3);
    assert!(sent[2]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("- set the status to mitigating: rolled back (open)"));
}

fn open_the_page() -> (String, Value) {
    call(
        "suggest_status_page_incident",
        json!({
            "title": "Checkout unavailable",
            "services": [{ "id": "checkout", "impact": "major" }],
            "message": "We are investigating failed checkouts.",
            "rationale": "alice: every checkout fails",
        }),
    )
}

#[test]
fn a_turn_proposes_opening_the_status_page_and_applying_it_opens_the_public_incident() {
    let (fake, p) = with_fake(
        FakeLlm::reasoning("gpt-5-mini"),
        vec![
            FakeReply::ToolCalls(vec![open_the_page()]),
            FakeReply::Text("nothing more".into()),
        ],
    );
    let catalog = vec![
        p.catalog_service("checkout", "Checkout", Some("Owned by #payments.")),
        p.catalog_service("api", "Public API", None),
    ];
    let id = p.declare_with_services("checkout failing", catalog);
    say(&p, &id, "every checkout fails for customers");
    p.drain();

    let after = view(&p, &id);
    let stored = suggestions_of(&after);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].data["change"],
        json!({ "kind": "status_page_incident", "title": "Checkout unavailable",
                "services": [{ "id": "checkout", "impact": "major" }],
                "message": "We are investigating failed checkouts." })
    );
    assert_eq!(stored[0].data["dedupe_key"], "status_page:open");
    assert_eq!(
        after.incident.affection, None,
        "a suggestion changes nothing"
    );
    let sent = turn_requests(&fake);
    let record = sent[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        record.contains("- checkout (Checkout): Owned by #payments."),
        "{record}"
    );
    for tool in sent[0]["tools"].as_array().unwrap() {
        assert_eq!(
            strict::breaches(&tool["function"]["parameters"]),
            Vec::<String>::new()
        );
    }

    // Apply (Slack's button, the dashboard) opens it as the person who applied.
    let suggestion_id = stored[0].data["suggestion_id"].as_str().unwrap().to_owned();
    pollster::block_on(p.handle(&id).resolve_suggestion(
        Actor::slack("U-ALICE"),
        &suggestion_id,
        SuggestionOutcome::Applied,
        Idempotency::None,
    ))
    .expect("applied");
    p.drain();
    let after = view(&p, &id);
    let affection = after.incident.affection.expect("the page has an incident");
    assert_eq!(
        (affection.title.as_str(), affection.status),
        ("Checkout unavailable", AffectionStatus::Investigating)
    );
    let opened = after
        .timeline
        .iter()
        .find(|e| e.event_type == "AFFECTION_UPDATE")
        .unwrap();
    assert_eq!(opened.data["created_by"], "U-ALICE");
    let public =
        pollster::block_on(p.db.query("SELECT title FROM status_incident", Vec::new())).unwrap();
    assert_eq!(public[0]["title"], "Checkout unavailable");
}

#[test]
fn a_proposal_the_incident_would_refuse_is_dropped_and_the_model_told_why() {
    let unknown_service = call(
        "suggest_status_page_incident",
        json!({
            "title": "Billing down",
            "services": [{ "id": "billing", "impact": "major" }],
            "message": "m",
            "rationale": "r",
        }),
    );
    let (fake, p) = with_model(vec![
        FakeReply::ToolCalls(vec![unknown_service]),
        FakeReply::Text("nothing more".into()),
    ]);
    let catalog = vec![p.catalog_service("checkout", "Checkout", None)];
    let id = p.declare_with_services("checkout failing", catalog);
    say(&p, &id, "billing fails too");
    p.drain();
    assert!(suggestions_of(&view(&p, &id)).is_empty());
    let sent = turn_requests(&fake);
    assert_eq!(sent.len(), 2);
    let told = sent[1]["messages"].as_array().unwrap().last().unwrap()["content"].clone();
    assert_eq!(
        told,
        "not kept: services: unknown service \"billing\"; known: [\"checkout\"]"
    );
}

/// Declares, lets a person write, and starts the turn (created, not run yet).
fn turn_started(p: &Pipeline) -> (String, String) {
    let id = p.declare("checkout failing");
    say(p, &id, "rolled back");
    p.alarm(&id);
    p.clock.set(p.clock.get() + 60_000);
    let report = p.alarm(&id);
    let instance = report.turn.started.expect("the turn started");
    (id, instance)
}

#[test]
fn a_crash_after_the_model_answered_stores_each_suggestion_once() {
    let (fake, p) = with_model(vec![
        FakeReply::ToolCalls(vec![mitigating()]),
        FakeReply::ToolCalls(vec![mitigating()]),
        FakeReply::Text("nothing more".into()),
    ]);
    let (id, instance) = turn_started(&p);
    let step = p.agent_turns.step(&instance).unwrap();
    step.crash_once_after_step(&format!("agent-turn.ask:{id}:2:0"));
    step.crash_once_after_step(&format!("agent-turn.suggest:{id}:2:0"));
    p.drain();
    assert_eq!(step.crashes(), 2);
    let sent = turn_requests(&fake);
    assert_eq!(
        sent.len(),
        3,
        "the crashed call, asked again, then the next call"
    );
    assert_eq!(sent[0], sent[1], "the same call");
    assert_eq!(suggestions_of(&view(&p, &id)).len(), 1);
}

#[test]
fn without_a_model_no_turn_is_started() {
    let p = Pipeline::new();
    let id = p.declare("checkout failing");
    say(&p, &id, "rolled back");
    p.drain();
    assert!(p.agent_turns.instance_ids().is_empty());
}

#[test]
fn the_suggestion_request_is_a_reviewed_snapshot() {
    let mut incident = incidentd_core::testing::state("inc-7", 6, Status::Open, "Checkout failing");
    incident.created_at = 1_000_000;
    incident.severity = Severity::Medium;
    incident.assignee = Some("bob".into());
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
        title: "Checkout degraded".into(),
        services: vec![AffectedService {
            id: "checkout".into(),
            impact: Impact::Major,
        }],
        status: AffectionStatus::Investigating,
        updates: 1,
    });
    let entry =
        |event_id: i64, at_s: i64, event_type: &str, data: Value, actor: Actor| TimelineEntry {
            event_id,
            event_type: event_type.into(),
            data,
            actor: Some(actor),
            at: 1_000_000 + at_s * 1_000,
            published_at: None,
            attempts: 0,
            dead_lettered: false,
            last_error: None,
        };
    let view = IncidentView {
        incident,
        timeline: vec![
            entry(
                1,
                0,
                "INCIDENT_CREATED",
                json!({ "title": "Checkout failing" }),
                Actor::user("alice"),
            ),
            entry(
                2,
                40,
                "MESSAGE_ADDED",
                json!({ "message": "500s on /pay", "message_id": "m1", "user_id": "alice" }),
                Actor::user("alice"),
            ),
            entry(
                3,
                60,
                "SUGGESTION_ADDED",
                json!({ "suggestion_id": "t2-1", "dedupe_key": "severity:low->medium", "change": { "kind": "severity", "severity": "medium" }, "rationale": null, "from_event_id": 1, "to_event_id": 2 }),
                Actor::agent(),
            ),
            entry(
                4,
                90,
                "SUGGESTION_RESOLVED",
                json!({ "suggestion_id": "t2-1", "outcome": "applied", "user_id": "U1", "change_event_id": null }),
                Actor::slack("U1"),
            ),
            entry(
                5,
                300,
                "MESSAGE_ADDED",
                json!({ "message": "rolled back the 10:00 deploy", "message_id": "m2", "user_id": "bob" }),
                Actor::slack("U2"),
            ),
            entry(
                6,
                320,
                "MESSAGE_ADDED",
                json!({ "message": "error rate back to normal", "message_id": "m3", "user_id": "bob" }),
                Actor::slack("U2"),
            ),
        ],
    };
    let turn = AgentTurn {
        incident_id: "inc-7".into(),
        tenant_id: "demo".into(),
        from_event_id: 5,
        to_event_id: 6,
    };
    let guides = [ServiceGuide {
        id: "checkout".into(),
        name: "Checkout".into(),
        prompt: "Owned by #payments. A failing payment provider is not our outage.".into(),
    }];
    let request = suggestions::request(&view, &turn, &[], &[], &guides).unwrap();
    for tool in &request.tools {
        assert_eq!(
            strict::breaches(&tool.parameters),
            Vec::<String>::new(),
            "{}",
            tool.name
        );
    }
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        Rc::new(NativeHttp),
    );
    insta::assert_json_snapshot!("suggestion_request", client.body(&request));
    // As sent to a chat model and to a reasoning one, OpenAI's contract accepts it.
    assert_eq!(incidentd_testkit::client_breaches(&request), []);
}
