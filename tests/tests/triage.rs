//! Triage at declaration on local workerd, with the fake LLM and a recording webhook (the
//! first notification) on 127.0.0.1: the demo tenant's declaration pages the fallback at once,
//! triage moves it to another entry point and severity before the webhook hears of it; a
//! model slower than the bound leaves the fallback and a note, and the incident works as
//! usual; a reasoning model triages the same within OpenAI's contract. The last test
//! measures what triage adds to the first notification.

use incidentd_e2e::{create_incident, percentile, poll, LocalWorker};
use incidentd_testkit::{FakeLlm, FakeReply};
use serde_json::{json, Value};
use sluice::native::{RecordingServer, Scripted};
use std::time::{Duration, Instant};

const KEY: &str = "sk-e2e-triage-key";

fn payments_answer() -> FakeReply {
    FakeReply::Json(json!({
        "entry_point": "payments-oncall",
        "severity": "high",
        "title": "Card payments fail at checkout",
        "description": "Card payments fail at checkout for every customer.",
    }))
}

fn webhook() -> RecordingServer {
    RecordingServer::start(vec![Scripted::status(200); 64])
}

fn start(
    name: &str,
    fake: Option<&FakeLlm>,
    hook: &RecordingServer,
    extra: &[(&str, &str)],
) -> LocalWorker {
    let base = fake.map(FakeLlm::base_url);
    let mut vars = vec![("WEBHOOK_URL", hook.url.as_str())];
    if let Some(base) = &base {
        vars.push(("LLM_BASE_URL", base.as_str()));
    }
    vars.extend_from_slice(extra);
    let secrets: &[(&str, &str)] = if fake.is_some() {
        &[("LLM_API_KEY", KEY)]
    } else {
        &[]
    };
    LocalWorker::start_with_secrets(name, &vars, secrets)
}

fn show(worker: &LocalWorker, id: &str) -> Value {
    worker
        .client("demo")
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap()
        .body
}

/// The incident once its timeline has an entry by actor `triage` of `event_type`.
fn after_triage(worker: &LocalWorker, id: &str, event_type: &str) -> Value {
    poll(Duration::from_secs(40), || {
        let shown = show(worker, id);
        let found = shown["timeline"]
            .as_array()?
            .iter()
            .any(|e| e["actor"]["kind"] == "triage" && e["event_type"] == event_type);
        found.then_some(shown)
    })
    .unwrap_or_else(|| panic!("no {event_type} by triage; log:\n{}", worker.log()))
}

/// The `INCIDENT_CREATED` notification the webhook received for `id`.
fn first_notification(hook: &RecordingServer, id: &str) -> Value {
    poll(Duration::from_secs(40), || {
        hook.requests()
            .iter()
            .map(sluice::native::RecordedRequest::json)
            .find(|b| b["incident_id"] == id && b["type"] == "INCIDENT_CREATED")
    })
    .expect("the webhook was notified")
}

#[test]
fn a_declaration_is_triaged_to_another_entry_point_before_the_first_notification() {
    let fake = FakeLlm::start(vec![payments_answer()]);
    let hook = webhook();
    let worker = start("triage-applied", Some(&fake), &hook, &[]);
    let client = worker.client("demo");
    let created = client
        .post(
            "/dashboard/incidents",
            &json!({ "prompt": "card payments fail at checkout" }),
        )
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(
        created.body["incident"]["assignee"], "U-PLATFORM-ONCALL",
        "acknowledged at once with the fallback"
    );
    let id = created.body["incident"]["id"].as_str().unwrap().to_owned();

    let shown = after_triage(&worker, &id, "DETAILS_UPDATE");
    let incident = &shown["incident"];
    assert_eq!(incident["assignee"], "U-PAYMENTS-ONCALL");
    assert_eq!(incident["entry_point_id"], "payments-oncall");
    assert_eq!(incident["severity"], "high");
    assert_eq!(incident["title"], "Card payments fail at checkout");
    let by_triage: Vec<&Value> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["kind"] == "triage")
        .map(|e| &e["event_type"])
        .collect();
    assert_eq!(
        by_triage,
        [
            &json!("ASSIGNEE_UPDATE"),
            &json!("SEVERITY_UPDATE"),
            &json!("DETAILS_UPDATE")
        ]
    );

    let first = first_notification(&hook, &id);
    assert_eq!(first["incident"]["assignee"], "U-PAYMENTS-ONCALL");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["title"], "Card payments fail at checkout");
    // The D1 index lists the triaged incident.
    let listed = poll(Duration::from_secs(20), || {
        incidentd_e2e::list_summaries(&client)
            .into_iter()
            .find(|s| s["id"] == id.as_str() && s["assignee"] == "U-PAYMENTS-ONCALL")
    });
    assert!(listed.is_some(), "the index shows the triaged assignee");

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["response_format"]["json_schema"]["name"],
        "incident_triage"
    );
    let log = worker.log();
    assert!(!log.contains(KEY), "the key never reaches the log");
    assert!(
        !log.contains("card payments fail"),
        "the incident's content is not logged"
    );
}

#[test]
fn a_reasoning_model_triages_within_openais_contract() {
    // A strict fake serving o3-mini only: `max_tokens`, a temperature or anything else a
    // reasoning model refuses is answered 400, and dropping it fails on any recorded breach.
    let fake = FakeLlm::reasoning("o3-mini").start(vec![payments_answer()]);
    let hook = webhook();
    let worker = start(
        "triage-reasoning",
        Some(&fake),
        &hook,
        &[("LLM_MODEL", fake.model())],
    );
    let id = create_incident(&worker.client("demo"), "card payments fail at checkout");
    let shown = after_triage(&worker, &id, "DETAILS_UPDATE");
    assert_eq!(shown["incident"]["assignee"], "U-PAYMENTS-ONCALL");
    assert_eq!(shown["incident"]["severity"], "high");
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["model"], "o3-mini");
    assert!(sent[0].get("temperature").is_none(), "{}", sent[0]);
    assert!(sent[0]["max_completion_tokens"].as_u64() > Some(400));
    assert_eq!(fake.take_violations(), [], "log:\n{}", worker.log());
}

#[test]
fn a_model_slower_than_the_bound_leaves_the_fallback_and_a_note() {
    // Calls time out after 1 s (LLM_TIMEOUT_SECONDS); the fake answers after 4 s, twice.
    let slow = || FakeReply::slow(4_000, payments_answer());
    let fake = FakeLlm::start(vec![slow(), slow()]);
    let hook = webhook();
    let worker = start(
        "triage-timeout",
        Some(&fake),
        &hook,
        &[("LLM_TIMEOUT_SECONDS", "1")],
    );
    let acknowledged = Instant::now();
    let id = create_incident(&worker.client("demo"), "card payments fail at checkout");
    let shown = after_triage(&worker, &id, "TRIAGE_NOTE");
    let incident = &shown["incident"];
    assert_eq!(incident["assignee"], "U-PLATFORM-ONCALL");
    assert_eq!(incident["severity"], "medium");
    assert_eq!(incident["title"], "card payments fail at checkout");
    let note = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actor"]["kind"] == "triage")
        .unwrap()["data"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(note.contains("did not answer usably"), "{note}");
    assert!(note.contains("fallback entry point stands"), "{note}");

    let first = first_notification(&hook, &id);
    assert_eq!(first["incident"]["assignee"], "U-PLATFORM-ONCALL");
    assert!(
        acknowledged.elapsed() < Duration::from_secs(15),
        "within the bound: {:?}",
        acknowledged.elapsed()
    );

    // Otherwise a normal incident.
    let moved = worker
        .client("demo")
        .post(
            &format!("/dashboard/incidents/{id}/status"),
            &json!({ "status": "mitigating", "message": "failing over" }),
        )
        .unwrap();
    assert!(
        moved.status == 200 || moved.status == 201,
        "{:?}",
        moved.body
    );
    assert_eq!(show(&worker, &id)["incident"]["status"], "mitigating");
}

/// Milliseconds from the create acknowledgement to the webhook's `INCIDENT_CREATED`.
fn to_first_notification(worker: &LocalWorker, hook: &RecordingServer) -> f64 {
    let client = worker.client("demo");
    let reply = client
        .post(
            "/dashboard/incidents",
            &json!({ "prompt": "card payments fail at checkout" }),
        )
        .unwrap();
    let acknowledged = Instant::now();
    assert_eq!(reply.status, 201);
    let id = reply.body["incident"]["id"].as_str().unwrap().to_owned();
    let deadline = acknowledged + Duration::from_secs(30);
    loop {
        let seen = hook
            .requests()
            .iter()
            .any(|r| r.json()["incident_id"] == id.as_str());
        if seen {
            return acknowledged.elapsed().as_secs_f64() * 1_000.0;
        }
        assert!(
            Instant::now() < deadline,
            "no notification; log:\n{}",
            worker.log()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn measure_what_triage_adds_to_the_first_notification() {
    const RUNS: usize = 10;
    let fake = FakeLlm::start((0..RUNS + 1).map(|_| payments_answer()).collect());
    let hook = webhook();
    let with = start("triage-measure-model", Some(&fake), &hook, &[]);
    let bare_hook = webhook();
    let without = start("triage-measure-none", None, &bare_hook, &[]);
    // A first declaration each warms the isolates up.
    to_first_notification(&with, &hook);
    to_first_notification(&without, &bare_hook);
    let mut model = Vec::new();
    let mut none = Vec::new();
    for _ in 0..RUNS {
        model.push(to_first_notification(&with, &hook));
        none.push(to_first_notification(&without, &bare_hook));
    }
    model.sort_by(f64::total_cmp);
    none.sort_by(f64::total_cmp);
    println!(
        "ack → first webhook, {RUNS} runs: with a model answering at once p50 {:.0} ms (min {:.0}, max {:.0}); without a model p50 {:.0} ms (min {:.0}, max {:.0})\n  with: {model:.0?}\n  without: {none:.0?}",
        percentile(&model, 0.5),
        model[0],
        model[RUNS - 1],
        percentile(&none, 0.5),
        none[0],
        none[RUNS - 1],
    );
    assert!(model[RUNS - 1] < 15_000.0, "within the bound");
}
