//! IncidentWorkflow on the native host with test senders registered beside the real ones:
//! retries on the virtual clock, non-retryable isolation, crash and replay with stable
//! idempotency keys, duplicate deliveries, a policy override, and a seeded crash schedule.

use incidentd_core::model::Status;
use incidentd_core::{
    IncidentCreated, IncidentEvent, IncidentMessage, IncidentSender, WORKFLOW_EVENT_TYPE,
};
use sluice::native::{NativeServices, NativeStep, SqliteDatabase, StepRecord};
use sluice::registry::{self, SendContext};
use sluice::sql::Database;
use sluice::workflow::WorkflowRun;
use sluice::{sender, Backoff, EffectError};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

/// A recording fake of an external API that deduplicates by idempotency key, as a real one
/// would; plus scripted failures per sender. One per test thread.
#[derive(Default)]
struct Fake {
    calls: Vec<(String, String)>,
    effects: BTreeSet<String>,
    failures: HashMap<&'static str, VecDeque<EffectError>>,
}

thread_local! {
    static FAKE: RefCell<Fake> = RefCell::new(Fake::default());
}

fn script(sender: &'static str, errors: Vec<EffectError>) {
    FAKE.with(|f| f.borrow_mut().failures.insert(sender, errors.into()));
}

/// What every test sender does: fail if scripted, else perform the "external" effect.
fn act(sender: &'static str, ctx: &SendContext) -> Result<(), EffectError> {
    FAKE.with(|f| {
        let mut fake = f.borrow_mut();
        if let Some(error) = fake.failures.get_mut(sender).and_then(VecDeque::pop_front) {
            return Err(error);
        }
        fake.calls
            .push((sender.to_owned(), ctx.idempotency_key.clone()));
        fake.effects.insert(ctx.idempotency_key.clone());
        Ok(())
    })
}

#[derive(Default)]
struct Flaky;

#[sender(
    name = "test.flaky",
    retries(limit = 3, delay = "2 seconds", backoff = "exponential")
)]
impl IncidentSender for Flaky {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        _: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        act("flaky", ctx)
    }
}

#[derive(Default)]
struct Doomed;

#[sender(name = "test.doomed", retries(limit = 5, delay = "1 second"))]
impl IncidentSender for Doomed {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        _: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        act("doomed", ctx)
    }
}

#[derive(Default)]
struct Recording;

#[sender(
    name = "test.recording",
    idempotency_key = "{incident_id}:{event_id}:recording"
)]
impl IncidentSender for Recording {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        _: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        act("recording", ctx)
    }
}

#[derive(Default)]
struct Tuned;

#[sender(
    name = "test.tuned",
    retries(limit = 4, delay = "1 second", backoff = "exponential")
)]
impl IncidentSender for Tuned {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        _: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        act("tuned", ctx)
    }
}

// What a `[policies."test.tuned.incident_created"]` entry of retry-policies.toml generates.
sluice::__private::inventory::submit! {
    sluice::__private::PolicyOverride {
        name: "test.tuned.incident_created",
        limit: Some(2),
        delay_ms: Some(250),
        backoff: Some(Backoff::Constant),
        max_delay_ms: None,
        timeout_ms: None,
    }
}

fn message(event_id: i64, status: Status) -> IncidentMessage {
    incidentd_core::testing::message("inc-7", event_id, status, &format!("v{event_id}"))
}

fn run_with(engine: Rc<NativeStep>, first: &IncidentMessage) -> WorkflowRun {
    incidentd_workflows::link();
    let db = Rc::new(SqliteDatabase::in_memory());
    db.apply(include_str!("../../migrations/0001_incident_index.sql"))
        .unwrap();
    let mut services = NativeServices::default();
    services
        .databases
        .insert("DB".into(), db as Rc<dyn Database>);
    WorkflowRun {
        class_name: "IncidentWorkflow",
        instance_id: "incident-inc-7".into(),
        payload: serde_json::to_value(first).unwrap(),
        step: engine,
        services: Rc::new(services),
    }
}

fn run(engine: &Rc<NativeStep>, first: &IncidentMessage) -> serde_json::Value {
    let def = registry::workflow("IncidentWorkflow").unwrap();
    engine
        .run_to_completion(def, run_with(engine.clone(), first))
        .unwrap()
}

/// Virtual times of the attempts of one delivery, and the waits between them.
fn attempts(engine: &NativeStep, step: &str) -> (Vec<u64>, Vec<u64>) {
    let times = engine.delivery_attempts(step);
    let waits = times.windows(2).map(|w| w[1] - w[0]).collect();
    (times, waits)
}

/// Whether each wait is its scheduled delay, cut by at most a fifth (the lanes' jitter).
fn jittered(waits: &[u64], scheduled: &[u64]) -> bool {
    waits.len() == scheduled.len()
        && waits
            .iter()
            .zip(scheduled)
            .all(|(wait, full)| wait <= full && wait * 100 >= full * 80)
}

#[test]
fn a_sender_failing_twice_then_succeeding_is_retried_per_its_policy() {
    script(
        "flaky",
        vec![EffectError::retryable("503"), EffectError::retryable("503")],
    );
    let engine = Rc::new(NativeStep::new());
    run(&engine, &message(1, Status::Resolved));
    // limit 3, 2 s exponential: retries after 2 s and 4 s, each cut by up to a fifth.
    let (times, waits) = attempts(&engine, "test.flaky.incident_created:1");
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(jittered(&waits, &[2_000, 4_000]), "{waits:?}");
    assert_eq!(
        FAKE.with(|f| f
            .borrow()
            .calls
            .iter()
            .filter(|(s, _)| s == "flaky")
            .count()),
        1
    );
}

#[test]
fn a_non_retryable_error_stops_only_that_sender() {
    script(
        "doomed",
        vec![EffectError::non_retryable("channel_not_found")],
    );
    let engine = Rc::new(NativeStep::new());
    let output = run(&engine, &message(1, Status::Resolved));
    assert_eq!(output["events_handled"], 1);
    assert_eq!(
        attempts(&engine, "test.doomed.incident_created:1").0,
        [0],
        "not retried despite limit 5"
    );
    for other in ["test.flaky", "test.recording", "test.tuned"] {
        assert_eq!(
            attempts(&engine, &format!("{other}.incident_created:1"))
                .0
                .len(),
            1,
            "{other} still ran"
        );
    }
    let senders: Vec<String> =
        FAKE.with(|f| f.borrow().calls.iter().map(|(s, _)| s.clone()).collect());
    assert!(!senders.contains(&"doomed".to_owned()));
    assert!(senders.contains(&"recording".to_owned()));
}

#[test]
fn a_crash_after_the_effect_reruns_it_with_the_same_key_and_the_fake_sees_one_effect() {
    let engine = Rc::new(NativeStep::new());
    engine.crash_once_after_step("test.recording.incident_created:1");
    run(&engine, &message(1, Status::Resolved));
    assert_eq!(engine.crashes(), 1);
    let (calls, effects) = FAKE.with(|f| {
        let fake = f.borrow();
        let calls: Vec<String> = fake
            .calls
            .iter()
            .filter(|(s, _)| s == "recording")
            .map(|(_, k)| k.clone())
            .collect();
        (
            calls,
            fake.effects
                .iter()
                .filter(|k| k.ends_with(":recording"))
                .cloned()
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(
        calls,
        ["inc-7:1:recording", "inc-7:1:recording"],
        "re-run with the same key"
    );
    assert_eq!(effects, ["inc-7:1:recording"], "one effect");
    // Steps recorded before the crash were replayed, not run again.
    let replayed = engine
        .records()
        .into_iter()
        .filter(|r| matches!(r, StepRecord::Replayed { .. }))
        .count();
    assert!(replayed >= 1, "memoised steps replayed after the crash");
}

#[test]
fn a_duplicate_event_delivery_produces_no_duplicate_effect() {
    let engine = Rc::new(NativeStep::new());
    let second = serde_json::to_value(message(2, Status::Resolved)).unwrap();
    engine.send_event(WORKFLOW_EVENT_TYPE, second.clone());
    engine.send_event(WORKFLOW_EVENT_TYPE, second);
    let output = run(&engine, &message(1, Status::Open));
    assert_eq!(output["events_handled"], 2);
    let keys: Vec<String> = FAKE.with(|f| {
        f.borrow()
            .calls
            .iter()
            .filter(|(s, _)| s == "recording")
            .map(|(_, k)| k.clone())
            .collect()
    });
    assert_eq!(keys, ["inc-7:1:recording", "inc-7:2:recording"]);
}

#[test]
fn a_policy_override_changes_the_observed_retry_schedule() {
    script(
        "tuned",
        (0..10)
            .map(|i| EffectError::retryable(format!("down #{i}")))
            .collect(),
    );
    let engine = Rc::new(NativeStep::new());
    run(&engine, &message(1, Status::Resolved));
    // The attribute alone would give waits of 1, 2, 4, 8 s; the override gives limit 2,
    // 250 ms constant.
    let (times, waits) = attempts(&engine, "test.tuned.incident_created:1");
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(jittered(&waits, &[250, 250]), "{waits:?}");
}

#[test]
fn a_seeded_crash_schedule_is_reproducible_and_every_effect_happens_once() {
    fn scenario(seed: u64) -> (usize, Vec<String>) {
        FAKE.with(|f| *f.borrow_mut() = Fake::default());
        let engine = Rc::new(NativeStep::new());
        engine.crash_randomly(seed, 30, 200);
        for id in 2..=4 {
            let status = if id == 4 {
                Status::Resolved
            } else {
                Status::Mitigating
            };
            engine.send_event(
                WORKFLOW_EVENT_TYPE,
                serde_json::to_value(message(id, status)).unwrap(),
            );
        }
        let output = run(&engine, &message(1, Status::Open));
        assert_eq!(output["events_handled"], 4);
        let effects = FAKE.with(|f| {
            f.borrow()
                .effects
                .iter()
                .filter(|k| k.ends_with(":recording"))
                .cloned()
                .collect()
        });
        (engine.crashes(), effects)
    }
    let (crashes, effects) = scenario(42);
    assert!(crashes > 0, "the seed injects crashes");
    assert_eq!(
        effects,
        [
            "inc-7:1:recording",
            "inc-7:2:recording",
            "inc-7:3:recording",
            "inc-7:4:recording"
        ]
    );
    assert_eq!(scenario(42).0, crashes, "same seed, same crashes");
}
