//! Triage at declaration on the native pipeline with the fake LLM: the proposal lands as
//! changes by actor `triage` before the first notification, only on fields nobody touched;
//! every way it can fail leaves the fallback and one note; the tenant's daily token budget
//! meters every call.

use incidentd_core::forward::instance_id;
use incidentd_core::model::{ActorKind, EntryPoint, Severity};
use incidentd_core::{Command, IncidentView, TimelineEntry};
use incidentd_llm::openai::{API_KEY_VAR, BASE_URL_VAR, MODEL_VAR, REASONING_VAR};
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_testkit::{FakeLlm, FakeReply};
use incidentd_workflows::ai::budget::{utc_day, BUDGET_VAR};
use incidentd_workflows::ai::guidance::ServiceGuide;
use incidentd_workflows::ai::{strict, triage};
use serde_json::{json, Value};
use sluice::native::{RecordingServer, Scripted};
use sluice::outbox::OutboxPolicy;
use sluice::sql::Database;

const PROMPT: &str = "orders fail: the primary database refuses writes";

fn entry_points() -> Vec<EntryPoint> {
    let entry = |id: &str, assignee: &str, prompt: &str, is_fallback| EntryPoint {
        id: id.into(),
        assignee: assignee.into(),
        prompt: prompt.into(),
        is_fallback,
    };
    vec![
        entry("dba", "U-DBA", "database outages and replication", false),
        entry("general", "U-ONCALL", "anything else", true),
    ]
}

/// A triage answer paging `entry_point` at `severity`.
fn answer(entry_point: Value, severity: &str) -> FakeReply {
    FakeReply::Json(json!({
        "entry_point": entry_point,
        "severity": severity,
        "title": "Primary database refuses writes",
        "description": "Orders fail because the primary database refuses writes.",
    }))
}

struct Setup {
    fake: FakeLlm,
    webhook: RecordingServer,
    p: Pipeline,
}

/// A pipeline with the tenant's entry points in D1, a recording webhook (the first
/// notification) and, unless `model` is false, the fake LLM answering `script`.
fn setup(script: Vec<FakeReply>, model: bool, vars: &[(&str, &str)]) -> Setup {
    setup_with(FakeLlm::start(script), model, vars)
}

/// [`setup`] with a fake configured by the test.
fn setup_with(fake: FakeLlm, model: bool, vars: &[(&str, &str)]) -> Setup {
    let webhook = RecordingServer::start(vec![Scripted::status(200); 8]);
    let base = fake.base_url();
    let mut config = vec![
        (incidentd_adapters::webhook::URL_VAR, webhook.url.as_str()),
        (BASE_URL_VAR, base.as_str()),
    ];
    if model {
        config.push((API_KEY_VAR, "sk-test"));
    }
    config.extend_from_slice(vars);
    let p = Pipeline::with_config(OutboxPolicy::default(), &config);
    for e in entry_points() {
        pollster::block_on(p.db.execute(
            "INSERT INTO entry_point (tenant_id, id, assignee, prompt, is_fallback) VALUES (?, ?, ?, ?, ?)",
            vec![
                TENANT.into(),
                e.id.as_str().into(),
                e.assignee.as_str().into(),
                e.prompt.as_str().into(),
                i64::from(e.is_fallback).into(),
            ],
        ))
        .unwrap();
    }
    Setup { fake, webhook, p }
}

fn declare(p: &Pipeline) -> String {
    p.declare_with(PROMPT, entry_points())
}

fn view(p: &Pipeline, id: &str) -> IncidentView {
    pollster::block_on(p.handle(id).get()).unwrap()
}

fn by_triage(view: &IncidentView) -> Vec<&TimelineEntry> {
    view.timeline
        .iter()
        .filter(|e| {
            e.actor
                .as_ref()
                .is_some_and(|a| a.kind == ActorKind::Triage)
        })
        .collect()
}

fn types(entries: &[&TimelineEntry]) -> Vec<String> {
    entries.iter().map(|e| e.event_type.clone()).collect()
}

/// The one note triage left, if any.
fn note(view: &IncidentView) -> Option<String> {
    let notes: Vec<String> = by_triage(view)
        .iter()
        .filter(|e| e.event_type == "TRIAGE_NOTE")
        .map(|e| e.data["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(notes.len() <= 1, "one note at most: {notes:?}");
    notes.into_iter().next()
}

/// The webhook's first request: the `INCIDENT_CREATED` notification.
fn first_notification(webhook: &RecordingServer) -> Value {
    let requests = webhook.requests();
    let first = requests.first().expect("the webhook was notified").json();
    assert_eq!(first["type"], "INCIDENT_CREATED");
    first
}

/// Asserts the incident kept its declaration: fallback paged, one note containing `why`.
fn assert_fallback_with_note(s: &Setup, id: &str, why: &str) {
    let after = view(&s.p, id);
    assert_eq!(after.incident.assignee.as_deref(), Some("U-ONCALL"));
    assert_eq!(after.incident.entry_point_id.as_deref(), Some("general"));
    assert_eq!(after.incident.severity, Severity::Medium);
    assert_eq!(after.incident.title, PROMPT);
    let note = note(&after).expect("a note saying why");
    assert!(note.contains(why), "{note}");
    assert!(note.contains("fallback entry point stands"), "{note}");
    assert_eq!(types(&by_triage(&after)), ["TRIAGE_NOTE"]);
    assert_eq!(
        first_notification(&s.webhook)["incident"]["assignee"],
        "U-ONCALL"
    );
}

#[test]
fn a_reasoning_model_triages_within_openais_contract() {
    // Strict: the request must pass what any reasoning family refuses; the fake serves o3-mini
    // only, spends 1,024 tokens thinking and would cut an answer left no room for it.
    let fake = FakeLlm::reasoning("o3-mini").start(vec![answer(json!("dba"), "high")]);
    let s = setup_with(fake, true, &[(MODEL_VAR, "o3-mini")]);
    let id = declare(&s.p);
    s.p.drain();
    let after = view(&s.p, &id);
    assert_eq!(after.incident.assignee.as_deref(), Some("U-DBA"));
    assert_eq!(after.incident.severity, Severity::High);
    assert!(note(&after).is_none(), "{:?}", note(&after));
    let sent = &s.fake.requests()[0];
    assert_eq!(sent["model"], "o3-mini");
    assert!(sent.get("temperature").is_none(), "{sent}");
    assert!(
        sent["max_completion_tokens"].as_u64().unwrap() > 400,
        "room to think"
    );
    // Dropping the fake checks that no request broke the contract.
}

#[test]
fn triage_pages_another_entry_point_before_the_first_notification() {
    let s = setup(vec![answer(json!("dba"), "high")], true, &[]);
    let id = declare(&s.p);
    assert_eq!(
        view(&s.p, &id).incident.assignee.as_deref(),
        Some("U-ONCALL"),
        "declared with the fallback, at once"
    );
    s.p.drain();

    let first = first_notification(&s.webhook);
    assert_eq!(first["incident"]["assignee"], "U-DBA");
    assert_eq!(first["incident"]["entry_point_id"], "dba");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["title"], "Primary database refuses writes");
    assert_eq!(first["event_id"], 1);

    let after = view(&s.p, &id);
    assert_eq!(after.incident.assignee.as_deref(), Some("U-DBA"));
    assert_eq!(after.incident.severity, Severity::High);
    assert_eq!(after.incident.title, "Primary database refuses writes");
    assert_eq!(
        types(&by_triage(&after)),
        ["ASSIGNEE_UPDATE", "SEVERITY_UPDATE", "DETAILS_UPDATE"]
    );
    assert!(note(&after).is_none());
    // The D1 index was written from the triaged first event and kept by the later ones.
    let rows = pollster::block_on(s.p.db.query(
        "SELECT assignee, severity, title FROM incident_index WHERE id = ?",
        vec![id.as_str().into()],
    ))
    .unwrap();
    assert_eq!(rows[0]["assignee"], "U-DBA");
    assert_eq!(rows[0]["severity"], "high");
    // Written last by the details change: the severity change before it carries the declared
    // title (found by the fault campaign once it configured a model).
    assert_eq!(rows[0]["title"], "Primary database refuses writes");
    // The request: the tenant's entry points as the schema's only choices.
    let sent = &s.fake.requests()[0];
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"]["properties"]["entry_point"]["enum"],
        json!(["dba", "general", null])
    );
    assert_eq!(s.fake.requests().len(), 1);
}

#[test]
fn a_field_a_person_changed_before_triage_landed_is_left_alone() {
    let s = setup(vec![answer(json!("dba"), "high")], true, &[]);
    let id = declare(&s.p);
    // Someone sets the severity before the workflow runs: theirs stands.
    pollster::block_on(s.p.handle(&id).apply(
        incidentd_core::Actor::user("alice"),
        Command::SetSeverity {
            severity: Severity::Low,
        },
        incidentd_core::Idempotency::None,
    ))
    .unwrap();
    s.p.drain();
    let after = view(&s.p, &id);
    assert_eq!(after.incident.severity, Severity::Low);
    assert_eq!(after.incident.assignee.as_deref(), Some("U-DBA"));
    assert_eq!(after.incident.title, "Primary database refuses writes");
    assert_eq!(
        types(&by_triage(&after)),
        ["ASSIGNEE_UPDATE", "DETAILS_UPDATE"]
    );
    let first = first_notification(&s.webhook);
    assert_eq!(first["incident"]["assignee"], "U-DBA");
    assert_eq!(
        first["severity"], "medium",
        "as declared; alice's change follows"
    );
}

#[test]
fn an_entry_point_the_tenant_does_not_have_is_not_trusted() {
    let s = setup(vec![answer(json!("security"), "high")], true, &[]);
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "\"security\", which this tenant does not have");
}

#[test]
fn without_a_model_the_fallback_stands_and_the_timeline_says_why() {
    let s = setup(Vec::new(), false, &[]);
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "no language model is configured");
    assert!(s.fake.requests().is_empty());
}

#[test]
fn a_malformed_answer_leaves_the_fallback_and_is_not_retried() {
    let s = setup(vec![FakeReply::Malformed], true, &[]);
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "the model did not answer usably");
    assert_eq!(s.fake.requests().len(), 1);
}

#[test]
fn an_answer_breaking_the_schema_leaves_the_fallback() {
    let s = setup(
        vec![FakeReply::Json(
            json!({ "entry_point": "dba", "severity": "catastrophic", "title": "t", "description": "d" }),
        )],
        true,
        &[],
    );
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "does not fit its schema");
}

#[test]
fn a_failing_model_is_tried_twice_within_the_bound_then_the_fallback_stands() {
    let failure = || FakeReply::Status {
        status: 503,
        kind: "server_error".into(),
    };
    let s = setup(vec![failure(), failure(), failure()], true, &[]);
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "HTTP 503");
    assert_eq!(s.fake.requests().len(), 2, "one retry, no more");
    // Later events replay the run from the top: the failed attempts are replayed, not redone.
    s.p.apply(
        &id,
        Command::SetSeverity {
            severity: Severity::High,
        },
    );
    s.p.drain();
    assert_eq!(s.fake.requests().len(), 2, "triaged once");
    assert!(note(&view(&s.p, &id)).is_some());
}

#[test]
fn a_crash_after_the_model_answered_applies_the_change_once() {
    for (crash_after, step_name) in [
        ("triage.ask", "triage.ask:{id}:1"),
        ("triage.apply", "triage.apply:{id}"),
    ] {
        // A crash before `triage.ask`'s result is kept asks again; after, it is replayed.
        let script = vec![answer(json!("dba"), "high"), answer(json!("dba"), "high")];
        let s = setup(script, true, &[]);
        let id = declare(&s.p);
        s.p.alarm(&id); // forwards INCIDENT_CREATED: the instance exists, not yet run
        let step = s.p.workflows.step(&instance_id(&id, 1)).unwrap();
        step.crash_once_after_step(&step_name.replace("{id}", &id));
        s.p.drain();
        assert_eq!(step.crashes(), 1, "{crash_after}");
        let after = view(&s.p, &id);
        assert_eq!(
            types(&by_triage(&after)),
            ["ASSIGNEE_UPDATE", "SEVERITY_UPDATE", "DETAILS_UPDATE"],
            "each change once after a crash in {crash_after}"
        );
        let asked = if crash_after == "triage.ask" { 2 } else { 1 };
        assert_eq!(s.fake.requests().len(), asked, "{crash_after}");
        assert_eq!(
            first_notification(&s.webhook)["incident"]["assignee"],
            "U-DBA"
        );
        assert_eq!(s.p.successful_steps("webhook.incident_created:1"), 1);
    }
}

fn usage_today(p: &Pipeline) -> i64 {
    let rows = pollster::block_on(p.db.query(
        "SELECT tokens FROM ai_usage WHERE tenant_id = ? AND day = ?",
        vec![TENANT.into(), utc_day(sluice::clock::now_ms()).into()],
    ))
    .unwrap();
    rows.first().and_then(|r| r["tokens"].as_i64()).unwrap_or(0)
}

#[test]
fn a_spent_budget_sends_nothing_to_the_model_and_says_so() {
    let s = setup(
        vec![answer(json!("dba"), "high")],
        true,
        &[(BUDGET_VAR, "100")],
    );
    pollster::block_on(s.p.db.execute(
        "INSERT INTO ai_usage (tenant_id, day, tokens) VALUES (?, ?, 100)",
        vec![TENANT.into(), utc_day(sluice::clock::now_ms()).into()],
    ))
    .unwrap();
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "daily AI token budget is spent (100 of 100 tokens");
    assert!(s.fake.requests().is_empty(), "no request reached the model");
}

#[test]
fn the_budget_counts_every_call_and_stops_the_next_once_spent() {
    // Each fake answer reports 120 tokens; the budget is 200.
    let script = vec![
        answer(json!("dba"), "high"),
        answer(json!("general"), "low"),
        answer(json!("dba"), "high"),
    ];
    let s = setup(script, true, &[(BUDGET_VAR, "200")]);
    let first = declare(&s.p);
    s.p.drain();
    assert_eq!(usage_today(&s.p), 120);
    let second = declare(&s.p);
    s.p.drain();
    assert_eq!(usage_today(&s.p), 240, "under the budget when asked");
    let third = declare(&s.p);
    s.p.drain();
    assert_eq!(usage_today(&s.p), 240, "refused before the call");
    assert_eq!(s.fake.requests().len(), 2);
    assert!(note(&view(&s.p, &first)).is_none());
    assert!(note(&view(&s.p, &second)).is_none());
    assert!(note(&view(&s.p, &third))
        .unwrap()
        .contains("budget is spent (240 of 200"));

    // The agent, over budget too, answers that it cannot.
    s.p.apply(
        &third,
        Command::AddPrompt {
            prompt: "what now?".into(),
            prompt_id: "p1".into(),
            user_id: "alice".into(),
        },
    );
    s.p.drain();
    let reply = view(&s.p, &third)
        .timeline
        .iter()
        .rev()
        .find(|e| e.actor.as_ref().is_some_and(|a| a.kind == ActorKind::Agent))
        .map(|e| e.data["message"].as_str().unwrap_or_default().to_owned())
        .expect("the agent replied");
    assert!(reply.contains("budget is spent"), "{reply}");
    assert_eq!(s.fake.requests().len(), 2);
}

#[test]
fn an_unusable_model_setting_keeps_ai_off_and_says_which() {
    let s = setup(
        vec![answer(json!("dba"), "high")],
        true,
        &[(REASONING_VAR, "maybe")],
    );
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(
        &s,
        &id,
        "LLM_REASONING is \"maybe\", expected auto, true or false",
    );
    assert!(s.fake.requests().is_empty());
}

#[test]
fn zero_turns_ai_off() {
    let s = setup(
        vec![answer(json!("dba"), "high")],
        true,
        &[(BUDGET_VAR, "0")],
    );
    let id = declare(&s.p);
    s.p.drain();
    assert_fallback_with_note(&s, &id, "AI is turned off");
    assert!(s.fake.requests().is_empty());
}

#[test]
fn service_guidance_reaches_the_triage_request_the_services_named_first() {
    let s = setup(vec![answer(json!("dba"), "high")], true, &[]);
    let services = vec![
        s.p.catalog_service("api", "Public API", Some("Owned by #platform.")),
        s.p.catalog_service("search", "Search", None),
        s.p.catalog_service(
            "db",
            "Primary database",
            Some("Refused writes on the primary are high severity: page the DBA."),
        ),
    ];
    s.p.declare_full(PROMPT, entry_points(), services);
    s.p.drain();
    let sent = s.fake.requests();
    let record = sent[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        record.ends_with(
            "Service guidance (most relevant first):\n\
             - db (Primary database): Refused writes on the primary are high severity: page the DBA.\n\
             - api (Public API): Owned by #platform."
        ),
        "{record}"
    );
    let schema = &sent[0]["response_format"]["json_schema"]["schema"];
    assert_eq!(strict::breaches(schema), Vec::<String>::new());
}

#[test]
fn the_triage_request_is_a_reviewed_snapshot() {
    use incidentd_core::model::{Service, Status};
    use incidentd_llm::openai::{LlmConfig, OpenAiCompatible};
    use sluice::native::NativeHttp;
    let mut incident = incidentd_core::testing::state("inc-7", 1, Status::Open, PROMPT);
    incident.severity = Severity::Medium;
    incident.prompt = PROMPT.into();
    incident.description = PROMPT.into();
    incident.created_by = "alice".into();
    incident.services = vec![
        Service {
            id: "api".into(),
            name: "Public API".into(),
        },
        Service {
            id: "checkout".into(),
            name: "Checkout".into(),
        },
    ];
    let guides = [ServiceGuide {
        id: "checkout".into(),
        name: "Checkout".into(),
        prompt: "Owned by #payments. Any checkout outage is high severity.".into(),
    }];
    let request = triage::request(&incident, &entry_points(), &guides).unwrap();
    let client = OpenAiCompatible::new(
        LlmConfig::new("http://unused", "gpt-4o-mini", "unused"),
        std::rc::Rc::new(NativeHttp),
    );
    insta::assert_json_snapshot!("triage_request", client.body(&request));
    // As sent to a chat model and to a reasoning one, OpenAI's contract accepts it.
    assert_eq!(incidentd_testkit::client_breaches(&request), []);
}
