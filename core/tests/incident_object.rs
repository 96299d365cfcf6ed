//! The Incident Durable Object's logic over an in-process SQLite and a recording workflow
//! engine: atomic commits, every transition rule and rejected input, deduplicated messages,
//! in-order forwarding with state as of each event, dead letters and replay, generations of
//! the workflow instance, and archive before delete.

use incidentd_core::forward::{
    instance_id, EVENTS_PER_INSTANCE, NUDGE_AFTER_MS, NUDGE_SCHEDULE_MS, ROLL_AFTER_IDLE_MS,
};
use incidentd_core::model::{
    AffectedService, AffectionStatus, EntryPoint, Impact, Service, Severity, Source, Status,
};
use incidentd_core::object::{
    Archive, Idempotency, IncidentObject, Origin, Started, FINISH_GRACE_MS,
};
use incidentd_core::{Actor, Applied, ArchivedIncident, Command, StartIncident};
use incidentd_core::{DomainError, IncidentMessage};
use serde_json::Value;
use sluice::native::SqliteStore;
use sluice::outbox::OutboxPolicy;
use sluice::sql::SqlStore;
use sluice::workflow::{Created, WorkflowClient, WorkflowClientError};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

/// A workflow engine that records instances and events, and fails while told to.
#[derive(Default)]
struct FakeEngine {
    instances: RefCell<BTreeMap<String, Vec<Value>>>,
    create_calls: RefCell<u32>,
    failures: RefCell<VecDeque<String>>,
    /// Calls to take effect but answer with an error (a timeout after the fact).
    lost_answers: RefCell<u32>,
}

impl FakeEngine {
    fn fail_next(&self, times: usize) {
        self.failures
            .borrow_mut()
            .extend((0..times).map(|i| format!("engine unavailable #{i}")));
    }

    fn lose_next_answer(&self) {
        *self.lost_answers.borrow_mut() += 1;
    }

    fn lost_answer(&self) -> Result<(), WorkflowClientError> {
        let mut lost = self.lost_answers.borrow_mut();
        if *lost == 0 {
            return Ok(());
        }
        *lost -= 1;
        Err(WorkflowClientError::new("the answer was lost"))
    }

    fn failure(&self) -> Option<WorkflowClientError> {
        self.failures
            .borrow_mut()
            .pop_front()
            .map(WorkflowClientError::new)
    }

    /// Event ids of the messages delivered to an instance that `keep` accepts, in order.
    fn delivered_where(&self, instance: &str, keep: impl Fn(&Value) -> bool) -> Vec<i64> {
        self.instances
            .borrow()
            .get(instance)
            .map(|events| {
                events
                    .iter()
                    .filter(|e| keep(e))
                    .map(|e| e["event_id"].as_i64().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Event ids delivered to an instance marked `last`, in order.
    fn delivered_last(&self, instance: &str) -> Vec<i64> {
        self.delivered_where(instance, |e| e["last"] == true)
    }

    /// Event ids delivered to an instance, in order.
    fn delivered(&self, instance: &str) -> Vec<i64> {
        self.delivered_where(instance, |_| true)
    }
}

#[async_trait::async_trait(?Send)]
impl WorkflowClient for FakeEngine {
    async fn create(&self, id: &str, params: &Value) -> Result<Created, WorkflowClientError> {
        *self.create_calls.borrow_mut() += 1;
        if let Some(e) = self.failure() {
            return Err(e);
        }
        let mut instances = self.instances.borrow_mut();
        if instances.contains_key(id) {
            return Ok(Created::AlreadyExisted);
        }
        instances.insert(id.to_owned(), vec![params.clone()]);
        Ok(Created::New)
    }

    async fn send_event(
        &self,
        id: &str,
        _: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError> {
        if let Some(e) = self.failure() {
            return Err(e);
        }
        match self.instances.borrow_mut().get_mut(id) {
            Some(events) => {
                events.push(payload.clone());
                self.lost_answer()
            }
            None => Err(WorkflowClientError::new(format!("instance {id} not found"))),
        }
    }

    async fn status(&self, id: &str) -> Result<Value, WorkflowClientError> {
        Ok(serde_json::json!({ "exists": self.instances.borrow().contains_key(id) }))
    }
}

/// An archive that records what it got, and can refuse.
#[derive(Default)]
struct FakeArchive {
    stored: RefCell<Vec<ArchivedIncident>>,
    refuse: RefCell<bool>,
}

#[async_trait::async_trait(?Send)]
impl Archive for FakeArchive {
    async fn archive(&self, record: &ArchivedIncident) -> Result<(), String> {
        if *self.refuse.borrow() {
            return Err("D1 unavailable".into());
        }
        self.stored.borrow_mut().push(record.clone());
        Ok(())
    }
}

const TENANT: &str = "demo";
const ID: &str = "abc123";

fn start_input(prompt: &str) -> StartIncident {
    StartIncident {
        id: ID.into(),
        tenant_id: TENANT.into(),
        prompt: prompt.into(),
        title: None,
        severity: None,
        created_by: "user-1".into(),
        source: Source::Dashboard,
        entry_points: vec![
            EntryPoint {
                id: "payments".into(),
                assignee: "U-PAY".into(),
                prompt: "payments".into(),
                is_fallback: false,
            },
            EntryPoint {
                id: "platform".into(),
                assignee: "U-PLAT".into(),
                prompt: "else".into(),
                is_fallback: true,
            },
        ],
        services: vec![
            Service {
                id: "api".into(),
                name: "API".into(),
            },
            Service {
                id: "checkout".into(),
                name: "Checkout".into(),
            },
        ],
    }
}

struct World {
    object: IncidentObject<SqliteStore>,
    engine: FakeEngine,
    analysis: FakeEngine,
    archive: FakeArchive,
}

impl World {
    /// `count` messages (`m0`, `m1`, ...), one event each.
    fn add_messages(&self, count: i64) {
        for i in 0..count {
            self.apply(Command::AddMessage {
                message: "m".into(),
                message_id: format!("m{i}"),
                user_id: "u".into(),
            })
            .unwrap();
        }
    }

    fn new() -> World {
        World {
            object: IncidentObject::open(SqliteStore::in_memory()),
            engine: FakeEngine::default(),
            analysis: FakeEngine::default(),
            archive: FakeArchive::default(),
        }
    }

    fn started() -> World {
        let world = World::new();
        world
            .object
            .start(start_input("Checkout is failing\nsince 10:02"), 1_000)
            .unwrap();
        world
    }

    fn apply(&self, command: Command) -> Result<Applied, DomainError> {
        self.object.apply(TENANT, command, 2_000)
    }

    fn alarm(&self, now: i64) -> incidentd_core::object::AlarmReport {
        pollster::block_on(
            self.object
                .on_alarm(&self.engine, &self.analysis, &self.archive, now),
        )
        .unwrap()
    }

    fn timeline_len(&self) -> usize {
        self.object.get(TENANT).unwrap().timeline.len()
    }
}

fn status(status: Status) -> Command {
    Command::UpdateStatus {
        status,
        message: "because".into(),
    }
}

fn code(result: Result<Applied, DomainError>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn start_commits_state_event_and_alarm_together_and_picks_the_fallback_entry_point() {
    let world = World::new();
    let Started::Created(state) = world
        .object
        .start(start_input("Checkout is failing\nsince 10:02"), 1_000)
        .unwrap()
    else {
        panic!("expected a new incident");
    };
    assert_eq!(
        (state.status, state.severity),
        (Status::Open, Severity::Medium)
    );
    assert_eq!(
        state.title, "Checkout is failing",
        "fallback title: the prompt's first line"
    );
    assert_eq!(
        (state.entry_point_id.as_deref(), state.assignee.as_deref()),
        (Some("platform"), Some("U-PLAT"))
    );
    assert_eq!(state.last_event_id, 1);
    assert_eq!(world.object.store().alarm(), Some(1_000));
    let view = world.object.get(TENANT).unwrap();
    assert_eq!(view.incident, state);
    assert_eq!(view.timeline[0].event_type, "INCIDENT_CREATED");
    assert_eq!(view.timeline[0].published_at, None);
}

#[test]
fn without_entry_points_the_incident_starts_unassigned_never_stuck() {
    let world = World::new();
    let input = StartIncident {
        entry_points: Vec::new(),
        ..start_input("db down")
    };
    let Started::Created(state) = world.object.start(input, 1).unwrap() else {
        panic!()
    };
    assert_eq!((state.assignee, state.entry_point_id), (None, None));
    assert_eq!(state.status, Status::Open);
}

#[test]
fn a_storage_failure_during_start_commits_nothing() {
    let world = World::new();
    world
        .object
        .store()
        .fail_next_statement_containing("INSERT INTO incident");
    assert!(matches!(
        world.object.start(start_input("db down"), 1_000),
        Err(DomainError::Storage(_))
    ));
    assert_eq!(world.object.get(TENANT), Err(DomainError::NotFound));
    assert_eq!(world.object.store().alarm(), None);
    let Started::Created(state) = world.object.start(start_input("db down"), 2_000).unwrap() else {
        panic!()
    };
    assert_eq!(state.last_event_id, 1, "no orphan outbox row");
}

#[test]
fn invalid_start_input_is_rejected_and_nothing_is_written() {
    let world = World::new();
    assert_eq!(
        world.object.start(start_input("   "), 1).unwrap_err(),
        DomainError::invalid("prompt", "must not be empty")
    );
    let long_title = StartIncident {
        title: Some("x".repeat(121)),
        ..start_input("p")
    };
    assert!(matches!(
        world.object.start(long_title, 1),
        Err(DomainError::Invalid { ref field, .. }) if field == "title"
    ));
    let long_prompt = start_input(&"p".repeat(4_001));
    assert!(matches!(
        world.object.start(long_prompt, 1),
        Err(DomainError::Invalid { ref field, .. }) if field == "prompt"
    ));
    assert_eq!(world.object.get(TENANT), Err(DomainError::NotFound));
    assert_eq!(world.object.store().alarm(), None);
}

#[test]
fn reads_of_a_never_started_object_create_no_storage() {
    let world = World::new();
    assert_eq!(world.object.get(TENANT), Err(DomainError::NotFound));
    assert_eq!(
        code(world.apply(Command::SetSeverity {
            severity: Severity::High
        })),
        "NOT_FOUND"
    );
    let tables = world
        .object
        .store()
        .query("SELECT name FROM sqlite_master WHERE type = 'table'", &[])
        .unwrap();
    assert!(tables.is_empty(), "no tables: {tables:?}");
}

#[test]
fn a_second_start_is_a_no_op() {
    let world = World::started();
    let again = world.object.start(start_input("second"), 2_000).unwrap();
    assert!(matches!(again, Started::AlreadyExisted(ref s) if s.prompt.starts_with("Checkout")));
    assert_eq!(world.timeline_len(), 1);
}

#[test]
fn another_tenant_sees_nothing_and_changes_nothing() {
    let world = World::started();
    assert_eq!(world.object.get("other"), Err(DomainError::NotFound));
    let result = world.object.apply(
        "other",
        Command::SetSeverity {
            severity: Severity::High,
        },
        2,
    );
    assert_eq!(result, Err(DomainError::NotFound));
    assert_eq!(world.timeline_len(), 1);
}

#[test]
fn status_transitions_follow_the_rules() {
    let allowed = [
        (Status::Open, Status::Mitigating),
        (Status::Open, Status::Resolved),
        (Status::Open, Status::Declined),
        (Status::Mitigating, Status::Resolved),
        (Status::Mitigating, Status::Declined),
    ];
    let all = [
        Status::Open,
        Status::Mitigating,
        Status::Resolved,
        Status::Declined,
    ];
    for from in [Status::Open, Status::Mitigating] {
        for to in all {
            let world = World::started();
            if from == Status::Mitigating {
                world.apply(status(Status::Mitigating)).unwrap();
            }
            let before = world.timeline_len();
            let result = world.apply(status(to));
            if allowed.contains(&(from, to)) {
                let applied = result.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                assert_eq!(applied.incident.status, to);
                assert_eq!(world.timeline_len(), before + 1);
            } else {
                assert_eq!(code(result), "INVALID_TRANSITION", "{from:?} → {to:?}");
                assert_eq!(
                    world.timeline_len(),
                    before,
                    "{from:?} → {to:?} wrote nothing"
                );
            }
        }
    }
}

#[test]
fn a_closed_incident_accepts_no_change() {
    for terminal in [Status::Resolved, Status::Declined] {
        let world = World::started();
        world.apply(status(terminal)).unwrap();
        let before = world.timeline_len();
        for command in [
            Command::SetSeverity {
                severity: Severity::Low,
            },
            Command::SetAssignee {
                assignee: Some("U2".into()),
            },
            status(Status::Mitigating),
            Command::AddMessage {
                message: "hi".into(),
                message_id: "m1".into(),
                user_id: "u".into(),
            },
            Command::CreateAffection {
                title: "t".into(),
                services: vec![],
                message: "m".into(),
                created_by: "u".into(),
            },
        ] {
            assert_eq!(code(world.apply(command)), "INCIDENT_CLOSED");
        }
        assert_eq!(world.timeline_len(), before);
    }
}

#[test]
fn severity_and_assignee_change_or_report_no_change() {
    let world = World::started();
    let same = world
        .apply(Command::SetSeverity {
            severity: Severity::Medium,
        })
        .unwrap();
    assert_eq!(same.event_id, None, "unchanged: no event");
    let high = world
        .apply(Command::SetSeverity {
            severity: Severity::High,
        })
        .unwrap();
    assert_eq!(
        (high.event_id, high.incident.severity),
        (Some(2), Severity::High)
    );
    let assigned = world
        .apply(Command::SetAssignee {
            assignee: Some("U-NEW".into()),
        })
        .unwrap();
    assert_eq!(assigned.incident.assignee.as_deref(), Some("U-NEW"));
    let cleared = world
        .apply(Command::SetAssignee { assignee: None })
        .unwrap();
    assert_eq!(
        (cleared.event_id, cleared.incident.assignee),
        (Some(4), None)
    );
    assert_eq!(
        world
            .apply(Command::SetAssignee { assignee: None })
            .unwrap()
            .event_id,
        None
    );
    assert_eq!(
        code(world.apply(Command::SetAssignee {
            assignee: Some("  ".into())
        })),
        "INVALID_INPUT"
    );
}

#[test]
fn messages_are_deduplicated_by_message_id() {
    let world = World::started();
    let add = |id: &str, text: &str| {
        world.apply(Command::AddMessage {
            message: text.into(),
            message_id: id.into(),
            user_id: "u".into(),
        })
    };
    let first = add("m-1", "looking").unwrap();
    assert!(!first.duplicate);
    let again = add("m-1", "looking (retry)").unwrap();
    assert_eq!((again.duplicate, again.event_id), (true, first.event_id));
    add("m-2", "found it").unwrap();
    let messages: Vec<_> = world
        .object
        .get(TENANT)
        .unwrap()
        .timeline
        .into_iter()
        .filter(|e| e.event_type == "MESSAGE_ADDED")
        .map(|e| e.data["message"].clone())
        .collect();
    assert_eq!(messages, ["looking", "found it"]);
    assert_eq!(code(add("", "x")), "INVALID_INPUT");
    assert_eq!(code(add("m-3", "  ")), "INVALID_INPUT");
}

#[test]
fn affection_rules() {
    let world = World::started();
    let service = |id: &str| AffectedService {
        id: id.into(),
        impact: Impact::Partial,
    };
    let update = |message: &str, status: Option<AffectionStatus>| {
        world.apply(Command::UpdateAffection {
            message: message.into(),
            status,
            services: None,
            created_by: "u".into(),
        })
    };
    let create = |title: &str, services: Vec<AffectedService>, message: &str| {
        world.apply(Command::CreateAffection {
            title: title.into(),
            services,
            message: message.into(),
            created_by: "u".into(),
        })
    };
    assert_eq!(code(update("early", None)), "NO_AFFECTION");
    assert_eq!(
        code(create(" ", vec![service("api")], "m")),
        "INVALID_INPUT"
    );
    assert_eq!(code(create("Degraded", vec![], "m")), "INVALID_INPUT");
    assert_eq!(
        code(create("Degraded", vec![service("mainframe")], "m")),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(create("Degraded", vec![service("api")], " ")),
        "INVALID_INPUT"
    );
    let before = world.timeline_len();
    let created = create(
        "Degraded checkout",
        vec![
            service("api"),
            service("checkout"),
            AffectedService {
                id: "api".into(),
                impact: Impact::Major,
            },
        ],
        "Investigating",
    )
    .unwrap();
    let affection = created.incident.affection.unwrap();
    assert_eq!(affection.status, AffectionStatus::Investigating);
    assert_eq!(affection.services.len(), 2, "deduplicated by id");
    assert_eq!(
        affection
            .services
            .iter()
            .find(|s| s.id == "api")
            .unwrap()
            .impact,
        Impact::Major,
        "last impact wins"
    );
    assert_eq!(
        code(create("Again", vec![service("api")], "m")),
        "AFFECTION_EXISTS"
    );
    update("still looking", None).unwrap();
    update("fix deployed", Some(AffectionStatus::Mitigating)).unwrap();
    assert_eq!(
        code(update("back", Some(AffectionStatus::Investigating))),
        "STATUS_CAN_ONLY_MOVE_FORWARD"
    );
    assert_eq!(
        code(update("same", Some(AffectionStatus::Mitigating))),
        "STATUS_CAN_ONLY_MOVE_FORWARD"
    );
    assert_eq!(code(update(" ", None)), "INVALID_INPUT");
    let done = update("resolved", Some(AffectionStatus::Resolved)).unwrap();
    assert_eq!(
        done.incident
            .affection
            .as_ref()
            .map(|a| (a.status, a.updates)),
        Some((AffectionStatus::Resolved, 4))
    );
    update("postmortem to follow", None).unwrap();
    assert_eq!(world.timeline_len(), before + 5);
}

#[test]
fn metadata_merges_without_an_event_also_after_the_close() {
    let world = World::started();
    let merge = |k: &str, v: &str| {
        world
            .object
            .merge_metadata(TENANT, BTreeMap::from([(k.to_owned(), v.to_owned())]))
            .unwrap()
    };
    merge("slack_channel", "C1");
    let merged = merge("slack_ts", "1.2");
    assert_eq!(merged.metadata.len(), 2);
    assert_eq!(world.timeline_len(), 1);
    world.apply(status(Status::Resolved)).unwrap();
    // A sender that ran late still records what it made.
    assert_eq!(merge("slack_archived", "yes").metadata.len(), 3);
    assert_eq!(
        world
            .object
            .merge_metadata("other-tenant", BTreeMap::new())
            .unwrap_err(),
        DomainError::NotFound
    );
}

#[test]
fn each_forwarded_event_carries_the_state_as_of_that_event_in_order() {
    let world = World::started();
    world
        .apply(Command::SetSeverity {
            severity: Severity::High,
        })
        .unwrap();
    world.apply(status(Status::Mitigating)).unwrap();
    let report = world.alarm(5_000);
    assert_eq!(report.pass.forwarded, [1, 2, 3]);
    let instance = instance_id(ID, 1);
    assert_eq!(world.engine.delivered(&instance), [1, 2, 3]);
    let instances = world.engine.instances.borrow();
    let messages: Vec<IncidentMessage> = instances[&instance]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    assert_eq!(
        messages[0].incident.severity,
        Severity::Medium,
        "created: before the severity change"
    );
    assert_eq!(
        (messages[1].incident.severity, messages[1].incident.status),
        (Severity::High, Status::Open)
    );
    assert_eq!(messages[2].incident.status, Status::Mitigating);
}

#[test]
fn a_forwarding_failure_leaves_the_event_unpublished_and_it_is_retried() {
    let world = World::started();
    world.engine.fail_next(1);
    let first = world.alarm(1_000);
    assert_eq!(first.pass.failed, [(1, "engine unavailable #0".to_owned())]);
    let entry = &world.object.get(TENANT).unwrap().timeline[0];
    assert_eq!((entry.published_at, entry.attempts), (None, 1));
    let retry_at = first.pass.next_alarm_at.expect("re-armed");
    assert_eq!(world.object.store().alarm(), Some(retry_at));
    assert_eq!(world.alarm(retry_at).pass.forwarded, [1]);
}

#[test]
fn a_duplicate_create_after_a_lost_acknowledgement_is_harmless() {
    let world = World::started();
    world.alarm(1_000);
    // The isolate died after the engine created the instance and before anything was
    // recorded: neither the row's publication nor the generation.
    let store = world.object.store();
    store
        .execute(
            "UPDATE outbox SET published_at = NULL, next_attempt_at = 1000",
            &[],
        )
        .unwrap();
    store
        .execute("DELETE FROM workflow_generation", &[])
        .unwrap();
    let again = world.alarm(2_000);
    assert_eq!(
        again.pass.forwarded,
        [1],
        "already-exists counts as delivered"
    );
    assert_eq!(*world.engine.create_calls.borrow(), 2);
    assert_eq!(
        world.engine.delivered(&instance_id(ID, 1)),
        [1, 1],
        "still one instance; the event sent again, which the instance drops"
    );
}

/// Found by the fault campaign (seed 365): event 1's create reached the engine, its answer
/// was lost, and event 1 was then dead-lettered; event 2 found the instance "already
/// existing", counted that as delivered, and was never handled.
#[test]
fn an_event_meeting_an_instance_created_by_a_dead_letter_is_still_delivered() {
    let world = World::started();
    world.alarm(1_000);
    let store = world.object.store();
    store
        .execute(
            "UPDATE outbox SET published_at = NULL, next_attempt_at = NULL, dead_at = 1000, \
             attempts = 3, last_error = 'answer lost' WHERE event_id = 1",
            &[],
        )
        .unwrap();
    store
        .execute("DELETE FROM workflow_generation", &[])
        .unwrap();
    world
        .apply(Command::SetSeverity {
            severity: Severity::High,
        })
        .unwrap();
    assert_eq!(world.alarm(3_000).pass.forwarded, [2]);
    assert_eq!(
        world.engine.delivered(&instance_id(ID, 1)),
        [1, 2],
        "event 2 reached the instance event 1 created"
    );
}

#[test]
fn events_are_dead_lettered_after_the_attempt_limit_kept_visible_and_replayable() {
    let world = World {
        object: IncidentObject::open(SqliteStore::in_memory()).with_policy(OutboxPolicy {
            max_attempts: 3,
            ..OutboxPolicy::default()
        }),
        ..World::new()
    };
    world.object.start(start_input("p"), 0).unwrap();
    world.engine.fail_next(3);
    let mut now = 0;
    for _ in 0..3 {
        let report = world.alarm(now);
        now = report.pass.next_alarm_at.unwrap_or(now) + 1;
    }
    let dead = world.object.dead_letters(TENANT).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].event_id, dead[0].attempts, dead[0].dead_lettered),
        (1, 3, true)
    );
    assert_eq!(dead[0].last_error.as_deref(), Some("engine unavailable #2"));
    assert!(world.engine.instances.borrow().is_empty());

    assert_eq!(
        world.object.replay(TENANT, 99, now),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        world.object.replay("other", 1, now),
        Err(DomainError::NotFound)
    );
    world.object.replay(TENANT, 1, now).unwrap();
    assert_eq!(world.alarm(now).pass.forwarded, [1]);
    assert!(world.object.dead_letters(TENANT).unwrap().is_empty());
    assert_eq!(world.engine.delivered(&instance_id(ID, 1)), [1]);
}

#[test]
fn a_long_silence_or_a_long_incident_moves_to_a_new_workflow_generation() {
    let world = World::started();
    world.alarm(1_000);
    world
        .apply(Command::SetSeverity {
            severity: Severity::High,
        })
        .unwrap();
    world.alarm(2_000);
    assert_eq!(world.engine.delivered(&instance_id(ID, 1)), [1, 2]);

    // Silent for almost the wait timeout: the first instance may stop listening; start g2.
    world
        .apply(Command::SetSeverity {
            severity: Severity::Low,
        })
        .unwrap();
    world.alarm(2_000 + ROLL_AFTER_IDLE_MS);
    assert_eq!(
        world.engine.delivered(&instance_id(ID, 2)),
        [3],
        "created with the event"
    );
    world.apply(status(Status::Mitigating)).unwrap();
    world.alarm(2_000 + ROLL_AFTER_IDLE_MS + 10);
    assert_eq!(world.engine.delivered(&instance_id(ID, 2)), [3, 4]);

    // A generation carries a bounded number of events.
    world.add_messages(EVENTS_PER_INSTANCE);
    world.alarm(3_000 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_001 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_002 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_003 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_004 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_005 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_006 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_007 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_008 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_009 + ROLL_AFTER_IDLE_MS);
    world.alarm(3_010 + ROLL_AFTER_IDLE_MS);
    let g2 = world.engine.delivered(&instance_id(ID, 2)).len() as i64;
    let g3 = world.engine.delivered(&instance_id(ID, 3)).len() as i64;
    assert_eq!(g2, EVENTS_PER_INSTANCE);
    assert_eq!(
        g2 + g3,
        2 + EVENTS_PER_INSTANCE,
        "every event delivered once"
    );
}

#[test]
fn a_closed_incident_is_archived_then_analysed_then_deleted_once_fully_delivered() {
    let world = World::started();
    world.apply(status(Status::Resolved)).unwrap();
    let closed = world.object.get(TENANT).unwrap().incident;
    // Forwarded, but the workflow has not said it handled the last event: senders may still
    // read the incident, so it waits. Its alarm sends the `last` message again in case the
    // engine lost it; the grace (from the last forward) is the fallback.
    let report = world.alarm(5_000);
    assert!(!report.finalized, "{report:?}");
    assert_eq!(
        world.object.store().alarm(),
        Some(5_000 + NUDGE_AFTER_MS),
        "the `last` message is sent again if no report comes"
    );
    world
        .object
        .workflow_finished(TENANT, closed.last_event_id, None, &[], 5_001)
        .unwrap();
    assert_eq!(
        world.object.store().alarm(),
        Some(5_001),
        "finalise at once"
    );
    let report = world.alarm(5_002);
    assert!(report.finalized, "{report:?}");
    let stored = world.archive.stored.borrow();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].view.incident.status, Status::Resolved);
    assert_eq!(stored[0].view.timeline.len(), 2);
    assert!(
        stored[0]
            .view
            .timeline
            .iter()
            .all(|e| e.published_at.is_some()),
        "archived after delivery"
    );
    assert_eq!(
        stored[0].workflow_instance.as_deref(),
        Some(format!("incident-{ID}").as_str()),
        "the archive remembers the last workflow instance"
    );
    assert!(world
        .analysis
        .instances
        .borrow()
        .contains_key(&format!("analysis-{ID}")));
    assert_eq!(
        world.object.get(TENANT),
        Err(DomainError::NotFound),
        "storage deleted"
    );
    let tables = world
        .object
        .store()
        .query("SELECT name FROM sqlite_master WHERE type = 'table'", &[])
        .unwrap();
    assert!(tables.is_empty());
}

#[test]
fn storage_is_kept_when_the_archive_fails_and_finalisation_is_retried() {
    let world = World::started();
    world.apply(status(Status::Declined)).unwrap();
    let last = world.object.get(TENANT).unwrap().incident.last_event_id;
    assert!(!world.alarm(3_000).finalized, "forwarded; no report yet");
    world
        .object
        .workflow_finished(TENANT, last, None, &[], 4_000)
        .unwrap();
    *world.archive.refuse.borrow_mut() = true;
    let report = world.alarm(5_000);
    assert!(!report.finalized);
    assert_eq!(
        report.finalize_error.as_deref(),
        Some("archive: D1 unavailable")
    );
    assert!(
        world.object.get(TENANT).is_ok(),
        "nothing deleted before the archive holds it"
    );
    assert!(
        world.analysis.instances.borrow().is_empty(),
        "analysis waits for the archive"
    );
    assert_eq!(
        world.object.store().alarm(),
        Some(5_000 + incidentd_core::object::FINALIZE_RETRY_MS)
    );
    *world.archive.refuse.borrow_mut() = false;
    assert!(world.alarm(40_000).finalized);
}

#[test]
fn dead_letters_keep_a_closed_incident_alive() {
    let world = World {
        object: IncidentObject::open(SqliteStore::in_memory()).with_policy(OutboxPolicy {
            max_attempts: 1,
            ..OutboxPolicy::default()
        }),
        ..World::new()
    };
    world.object.start(start_input("p"), 0).unwrap();
    world.apply(status(Status::Resolved)).unwrap();
    world.engine.fail_next(1);
    let report = world.alarm(10);
    assert!(!report.finalized);
    assert_eq!(world.object.dead_letters(TENANT).unwrap().len(), 1);
    assert!(world.archive.stored.borrow().is_empty());
}

/// Found by the fault campaign (seed 11): the report of the generation that handled the close
/// let the object finalise as soon as a dead letter replayed after it was forwarded, so the
/// new generation found no incident to read (no Slack channel, no webhook for that event).
#[test]
fn a_dead_letter_replayed_after_the_close_waits_for_the_report_of_its_own_generation() {
    let world = World {
        object: IncidentObject::open(SqliteStore::in_memory()).with_policy(OutboxPolicy {
            max_attempts: 1,
            ..OutboxPolicy::default()
        }),
        ..World::new()
    };
    world.object.start(start_input("p"), 0).unwrap();
    world.engine.fail_next(1);
    world.alarm(10); // event 1: dead-lettered
    world.apply(status(Status::Resolved)).unwrap();
    world.alarm(2_010); // event 2, the close: generation 1, marked last
    assert_eq!(world.engine.delivered(&instance_id(ID, 1)), [2]);
    world
        .object
        .workflow_finished(TENANT, 2, None, &[], 2_020)
        .unwrap();
    assert!(!world.alarm(2_030).finalized, "the dead letter keeps it");

    // Replayed long after the close: generation 2 gets event 1, marked last.
    let later = 2_030 + 2 * FINISH_GRACE_MS;
    world.object.replay(TENANT, 1, later).unwrap();
    let report = world.alarm(later);
    assert_eq!(world.engine.delivered(&instance_id(ID, 2)), [1]);
    assert!(
        !report.finalized,
        "generation 1's report does not cover the replayed event: {report:?}"
    );
    assert!(world.object.get(TENANT).is_ok());
    world
        .object
        .workflow_finished(TENANT, 1, None, &[], later + 1)
        .unwrap();
    assert!(world.alarm(later + 2).finalized);
}

/// Found by the fault campaign (seeds 6837, 7578): the same event forwarded `last` to a new
/// generation, after the forward to the old one lost its answer. The old generation's
/// report, even one arriving after the new forward, must not finalise the incident.
#[test]
fn a_report_from_a_generation_that_was_moved_past_is_ignored() {
    let world = World::started();
    world.alarm(1_500); // event 1: generation 1
    world.apply(status(Status::Resolved)).unwrap();
    let last = world.object.get(TENANT).unwrap().incident.last_event_id;
    world.engine.lose_next_answer();
    world.alarm(2_010); // the close reaches generation 1, marked last; its answer is lost
    world.alarm(62_010); // retried: generation 1 may have ended, generation 2 gets it
    assert_eq!(world.engine.delivered(&instance_id(ID, 2)), [last]);
    assert_eq!(
        world.engine.delivered(&instance_id(ID, 1)),
        [1, last, 1],
        "generation 1 is asked to end: its recorded tail (event 1) again, marked last"
    );

    let old = instance_id(ID, 1);
    world
        .object
        .workflow_finished(TENANT, last, Some(old.as_str()), &[], 70_000)
        .unwrap();
    assert!(
        !world.alarm(70_001).finalized,
        "generation 1 is not the one awaited"
    );
    let new = instance_id(ID, 2);
    world
        .object
        .workflow_finished(TENANT, last, Some(new.as_str()), &[], 70_002)
        .unwrap();
    assert!(world.alarm(70_003).finalized);
}

/// A signed API request by user `u`.
fn signed(request_id: &str) -> Origin {
    Origin {
        tenant: TENANT.into(),
        actor: Actor::user("u"),
        idempotency: Idempotency::Signature(request_id.into()),
    }
}

#[test]
fn an_exact_replay_of_an_applied_request_is_refused_and_forgotten_after_the_window() {
    let world = World::started();
    let request = |id: &str, now: i64| {
        world.object.apply_as(
            &signed(id),
            Command::SetSeverity {
                severity: Severity::High,
            },
            now,
        )
    };
    assert_eq!(request("sig-1", 10).unwrap().event_id, Some(2));
    assert_eq!(request("sig-1", 20).unwrap_err().code(), "REQUEST_REPLAYED");
    // A new signature of the same change is a new request (here: nothing left to change).
    assert_eq!(request("sig-2", 30).unwrap().event_id, None);
    // A refused request is not remembered: its replay gets the same answer.
    let closing = |id: &str| world.object.apply_as(&signed(id), status(Status::Open), 40);
    assert_eq!(closing("sig-3").unwrap_err().code(), "INVALID_TRANSITION");
    assert_eq!(closing("sig-3").unwrap_err().code(), "INVALID_TRANSITION");
    // The alarm forgets ids older than the window.
    world.alarm(10 + incidentd_core::object::REQUEST_MEMORY_MS + 1);
    world
        .apply(Command::SetSeverity {
            severity: Severity::Low,
        })
        .unwrap();
    assert_eq!(
        request("sig-1", 10 + incidentd_core::object::REQUEST_MEMORY_MS + 2)
            .unwrap()
            .event_id,
        Some(4)
    );
}

#[test]
fn the_agent_context_holds_everything_and_survives_the_close() {
    let world = World::started();
    world
        .apply(Command::AddMessage {
            message: "db at 100% cpu".into(),
            message_id: "m1".into(),
            user_id: "u".into(),
        })
        .unwrap();
    world.apply(status(Status::Resolved)).unwrap();
    let context = world.object.agent_context(TENANT).unwrap();
    assert_eq!(context.incident.status, Status::Resolved);
    assert_eq!(context.incident.services.len(), 2);
    let types: Vec<&str> = context
        .timeline
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        types,
        ["INCIDENT_CREATED", "MESSAGE_ADDED", "STATUS_UPDATE"]
    );
    assert_eq!(
        World::new().object.agent_context(TENANT),
        Err(DomainError::NotFound)
    );
}

#[test]
fn a_closed_incident_whose_workflow_never_reports_is_finalised_after_the_grace_period() {
    let world = World::started();
    world.apply(status(Status::Resolved)).unwrap();
    let closed = world.object.get(TENANT).unwrap().incident;
    assert!(!world.alarm(5_000).finalized);
    // An earlier event's report does not count.
    world
        .object
        .workflow_finished(TENANT, closed.last_event_id - 1, None, &[], 6_000)
        .unwrap();
    assert!(!world.alarm(6_001).finalized);
    // The grace runs from the last forward (the alarm at 5 000), not from the close.
    assert!(!world.alarm(closed.updated_at + FINISH_GRACE_MS).finalized);
    let report = world.alarm(5_000 + FINISH_GRACE_MS);
    assert!(report.finalized, "{report:?}");
    assert_eq!(world.archive.stored.borrow().len(), 1);
}

/// The engine can lose a generation's last event, and nothing sent to a newer generation
/// reveals it. Found by the fault campaign (seeds 253 and 1126): an event lost, then the
/// close's `last` forward refused, so the close went to generation 2 and generation 1 never
/// got another event. Generation 1 is now asked to end (its tail again, marked `last`), and
/// the incident finalises only once both generations reported.
#[test]
fn a_generation_moved_past_is_sent_its_tail_marked_last_until_it_reports() {
    let world = World::started();
    world.alarm(1_000); // event 1: generation 1
    world
        .apply(Command::SetSeverity {
            severity: Severity::High,
        })
        .unwrap();
    world.alarm(2_000); // event 2 (say the engine lost it)
    world.apply(status(Status::Resolved)).unwrap();
    world.engine.fail_next(1);
    world.alarm(3_000); // event 3, the close: refused; generation 1 is closed anyway
    world.alarm(4_000); // retried: generation 2 is created with it
    assert_eq!(world.engine.delivered(&instance_id(ID, 2)), [3]);
    assert_eq!(world.engine.delivered(&instance_id(ID, 1)), [1, 2]);
    let g2 = instance_id(ID, 2);
    world
        .object
        .workflow_finished(TENANT, 3, Some(g2.as_str()), &[], 4_100)
        .unwrap();
    assert!(
        !world.alarm(4_200).finalized,
        "generation 1 has not reported event 2 handled"
    );
    // Due 30 s after its last forward: event 2 again, marked last (the instance handles it
    // and anything it lost before it, then ends).
    world.alarm(2_000 + NUDGE_AFTER_MS);
    assert_eq!(world.engine.delivered(&instance_id(ID, 1)), [1, 2, 2]);
    assert_eq!(world.engine.delivered_last(&instance_id(ID, 1)), [2]);
    // Lost again: sent again on schedule until it reports.
    world.alarm(2_000 + NUDGE_SCHEDULE_MS[1]);
    assert_eq!(world.engine.delivered_last(&instance_id(ID, 1)), [2, 2]);
    let g1 = instance_id(ID, 1);
    world
        .object
        .workflow_finished(
            TENANT,
            2,
            Some(g1.as_str()),
            &[],
            2_000 + NUDGE_SCHEDULE_MS[1] + 1,
        )
        .unwrap();
    assert!(world.alarm(2_000 + NUDGE_SCHEDULE_MS[1] + 2).finalized);
}

/// A full generation is replaced: the event that fills it is marked `last` (the instance ends
/// once its lanes are done, so the next generation's lanes need not wait), its tail is sent
/// again marked `last` until it reports, and an open incident's current generation gets its
/// tail again (not marked last) after quiet.
#[test]
fn a_full_generation_ends_with_the_event_that_fills_it_and_the_current_tail_is_nudged() {
    let world = World::started();
    world.add_messages(EVENTS_PER_INSTANCE);
    let mut now = 1_000;
    while world.alarm(now).pass.next_alarm_at.is_some() {
        now += 10;
    }
    let g1 = world.engine.delivered(&instance_id(ID, 1));
    let g2 = world.engine.delivered(&instance_id(ID, 2));
    assert_eq!(g1.len() as i64, EVENTS_PER_INSTANCE);
    assert_eq!(g2.len(), 1, "event {} opened generation 2", g2[0]);
    assert_eq!(
        world.engine.delivered_last(&instance_id(ID, 1)),
        [EVENTS_PER_INSTANCE],
        "the event that filled generation 1 was marked last"
    );
    let quiet = now + NUDGE_AFTER_MS;
    world.alarm(quiet);
    assert_eq!(
        world.engine.delivered_last(&instance_id(ID, 1)),
        [EVENTS_PER_INSTANCE, EVENTS_PER_INSTANCE],
        "generation 1's newest, marked last again until it reports"
    );
    assert_eq!(
        world.engine.delivered(&instance_id(ID, 2)),
        [g2[0], g2[0]],
        "the open generation's tail, again"
    );
    assert!(world.engine.delivered_last(&instance_id(ID, 2)).is_empty());
    // Once generation 1 reports, it is not asked again.
    let old = instance_id(ID, 1);
    world
        .object
        .workflow_finished(
            TENANT,
            EVENTS_PER_INSTANCE,
            Some(old.as_str()),
            &[],
            quiet + 1,
        )
        .unwrap();
    world.alarm(quiet + NUDGE_SCHEDULE_MS[2]);
    assert_eq!(world.engine.delivered_last(&instance_id(ID, 1)).len(), 2);
}
