//! Agent turns and suggestions in the Incident object, over an in-process SQLite and the
//! native workflow engine: the alarm starts a turn once people have gone quiet (one instance
//! per range, marked in flight only once created), the turn's report lets the next one start,
//! and suggestions are stored once and resolved once.

use incidentd_core::decide::StoredSuggestion;
use incidentd_core::forward::{NUDGE_AFTER_MS, NUDGE_SCHEDULE_MS};
use incidentd_core::model::{Severity, Source, Status};
use incidentd_core::object::{
    AgentTurns, Archive, Idempotency, IncidentObject, Origin, TurnPacing, IN_FLIGHT_TIMEOUT_MS,
    START_RETRY_MS,
};
use incidentd_core::{
    Actor, ArchivedIncident, Command, DomainError, StartIncident, SuggestedChange, SuggestionAdded,
    SuggestionOutcome,
};
use serde_json::{json, Value};
use sluice::native::{NativeWorkflows, SqliteStore};
use sluice::workflow::{Created, WorkflowClient, WorkflowClientError};
use std::cell::RefCell;
use std::collections::BTreeMap;

const TENANT: &str = "demo";
const PACING: TurnPacing = TurnPacing {
    quiet_ms: 60_000,
    max_wait_ms: 300_000,
    in_flight_timeout_ms: IN_FLIGHT_TIMEOUT_MS,
};

struct NoArchive;

#[async_trait::async_trait(?Send)]
impl Archive for NoArchive {
    async fn archive(&self, _: &ArchivedIncident) -> Result<(), String> {
        Ok(())
    }
}

/// The native engine, remembering each instance's input.
struct TurnEngine {
    engine: NativeWorkflows,
    params: RefCell<BTreeMap<String, Value>>,
}

impl TurnEngine {
    fn instance_ids(&self) -> Vec<String> {
        self.engine.instance_ids()
    }

    fn instance_params(&self, id: &str) -> Option<Value> {
        self.params.borrow().get(id).cloned()
    }
}

#[async_trait::async_trait(?Send)]
impl WorkflowClient for TurnEngine {
    async fn create(&self, id: &str, params: &Value) -> Result<Created, WorkflowClientError> {
        let created = self.engine.create(id, params).await?;
        self.params
            .borrow_mut()
            .insert(id.to_owned(), params.clone());
        Ok(created)
    }

    async fn send_event(
        &self,
        id: &str,
        kind: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError> {
        self.engine.send_event(id, kind, payload).await
    }

    async fn status(&self, id: &str) -> Result<Value, WorkflowClientError> {
        self.engine.status(id).await
    }
}

struct World {
    object: IncidentObject<SqliteStore>,
    incidents: NativeWorkflows,
    analysis: NativeWorkflows,
    turns: TurnEngine,
}

impl World {
    fn new() -> World {
        let world = World {
            object: IncidentObject::open(SqliteStore::in_memory()),
            incidents: NativeWorkflows::new("IncidentWorkflow"),
            analysis: NativeWorkflows::new("IncidentAnalysisWorkflow"),
            turns: TurnEngine {
                engine: NativeWorkflows::new("IncidentAgentTurnWorkflow"),
                params: RefCell::default(),
            },
        };
        let input = StartIncident {
            id: "inc-1".into(),
            tenant_id: TENANT.into(),
            prompt: "checkout failing".into(),
            title: None,
            severity: Some(Severity::Medium),
            created_by: "alice".into(),
            source: Source::Dashboard,
            entry_points: Vec::new(),
            services: Vec::new(),
        };
        world.object.start(input, 0).unwrap();
        world.alarm(0);
        world
    }

    fn origin(actor: Actor) -> Origin {
        Origin {
            tenant: TENANT.into(),
            actor,
            idempotency: Idempotency::None,
        }
    }

    fn say(&self, actor: Actor, text: &str, at: i64) -> i64 {
        let command = Command::AddMessage {
            message: text.into(),
            message_id: format!("m-{at}"),
            user_id: "alice".into(),
        };
        let applied = self
            .object
            .apply_as(&World::origin(actor), command, at)
            .unwrap();
        applied.event_id.unwrap()
    }

    /// The alarm as the platform runs it: it fires, then whatever it re-arms stays armed.
    fn alarm(&self, now: i64) -> incidentd_core::object::AlarmReport {
        self.object.store().take_alarm();
        let turns = AgentTurns {
            workflows: &self.turns,
            pacing: PACING,
        };
        pollster::block_on(self.object.on_alarm_with_turns(
            &self.incidents,
            &self.analysis,
            &NoArchive,
            Some(&turns),
            now,
        ))
        .unwrap()
    }

    fn suggest(&self, id: &str, key: &str, change: SuggestedChange) -> Result<i64, DomainError> {
        let suggestion = SuggestionAdded {
            suggestion_id: id.into(),
            dedupe_key: key.into(),
            change,
            rationale: Some("the error rate fell".into()),
            from_event_id: 1,
            to_event_id: 2,
        };
        let applied = self.object.apply_as(
            &World::origin(Actor::agent()),
            Command::AddSuggestion { suggestion },
            5_000,
        )?;
        Ok(applied.event_id.unwrap())
    }

    fn resolve(&self, id: &str, outcome: SuggestionOutcome) -> Result<i64, DomainError> {
        self.resolve_edited(id, outcome, None)
    }

    fn resolve_edited(
        &self,
        id: &str,
        outcome: SuggestionOutcome,
        edited: Option<&SuggestedChange>,
    ) -> Result<i64, DomainError> {
        let applied = self.object.resolve_suggestion(
            &World::origin(Actor::slack("U-BOB")),
            id,
            outcome,
            edited,
            6_000,
        )?;
        Ok(applied.event_id.unwrap())
    }

    fn stored(&self, id: &str) -> StoredSuggestion {
        self.object.suggestion(TENANT, id).unwrap().suggestion
    }
}

fn mitigate() -> SuggestedChange {
    SuggestedChange::Status {
        status: Status::Mitigating,
        message: "rolled back".into(),
    }
}

#[test]
fn the_alarm_starts_one_turn_once_people_have_gone_quiet() {
    let world = World::new();
    world.say(Actor::user("alice"), "rolled back", 1_000);
    world.say(Actor::slack("U-BOB"), "errors dropping", 20_000);
    let report = world.alarm(20_000);
    assert_eq!(report.turn.started, None);
    assert_eq!(
        world.object.store().alarm(),
        Some(20_000 + NUDGE_AFTER_MS),
        "the tail check comes first"
    );
    world.alarm(20_000 + NUDGE_AFTER_MS);
    assert_eq!(
        world.object.store().alarm(),
        Some(80_000),
        "quiet after the last"
    );

    let report = world.alarm(80_000);
    assert_eq!(report.turn.started.as_deref(), Some("turn-inc-1-3"));
    assert_eq!(world.turns.instance_ids(), ["turn-inc-1-3"]);
    let params = world.turns.instance_params("turn-inc-1-3").unwrap();
    assert_eq!(
        params,
        json!({ "incident_id": "inc-1", "tenant_id": "demo", "from_event_id": 1, "to_event_id": 3 })
    );
    world.alarm(90_000);
    assert_eq!(world.turns.instance_ids().len(), 1, "at most one in flight");
    // The tail check's later re-sends come before the in-flight guard.
    for after in &NUDGE_SCHEDULE_MS[1..] {
        assert_eq!(world.object.store().alarm(), Some(20_000 + after));
        world.alarm(20_000 + after);
    }
    assert_eq!(
        world.object.store().alarm(),
        Some(80_000 + IN_FLIGHT_TIMEOUT_MS),
        "the in-flight guard"
    );
}

#[test]
fn the_agents_own_events_never_make_a_turn_due() {
    let world = World::new();
    world.say(Actor::agent(), "I looked at the logs", 1_000);
    world.say(Actor::system(), "bookkeeping", 2_000);
    world.alarm(2_000);
    for after in NUDGE_SCHEDULE_MS {
        assert_eq!(
            world.object.store().alarm(),
            Some(2_000 + after),
            "the tail check only"
        );
        world.alarm(2_000 + after);
    }
    assert_eq!(world.object.store().alarm(), None);
    world.alarm(10_000_000);
    assert!(world.turns.instance_ids().is_empty());
}

#[test]
fn a_failed_start_is_not_marked_in_flight_and_is_retried_with_the_same_instance_id() {
    let world = World::new();
    world.say(Actor::user("alice"), "rolled back", 1_000);
    world
        .turns
        .engine
        .fail_when(|op, _, _| (op == "create").then(|| "engine unavailable".to_owned()));
    let report = world.alarm(61_000);
    assert!(report.turn.error.unwrap().contains("engine unavailable"));
    assert_eq!(world.object.store().alarm(), Some(61_000 + START_RETRY_MS));
    world.turns.engine.clear_faults();
    let report = world.alarm(61_000 + START_RETRY_MS);
    assert_eq!(report.turn.started.as_deref(), Some("turn-inc-1-2"));
}

#[test]
fn the_turns_report_lets_the_next_turn_start_and_a_late_report_changes_nothing() {
    let world = World::new();
    world.say(Actor::user("alice"), "rolled back", 1_000);
    world.alarm(61_000);
    world.say(Actor::user("alice"), "still watching", 70_000);
    world.alarm(70_000);
    assert_eq!(world.turns.instance_ids().len(), 1);

    assert!(!world.object.agent_turn_ended(TENANT, 99, 80_000).unwrap());
    assert!(world.object.agent_turn_ended(TENANT, 2, 80_000).unwrap());
    assert_eq!(world.object.store().alarm(), Some(80_000), "armed now");
    world.alarm(80_000);
    assert_eq!(
        world.object.store().alarm(),
        Some(70_000 + NUDGE_AFTER_MS),
        "the tail check"
    );
    world.alarm(70_000 + NUDGE_AFTER_MS);
    assert_eq!(world.object.store().alarm(), Some(130_000));
    let report = world.alarm(130_000);
    assert_eq!(report.turn.started.as_deref(), Some("turn-inc-1-3"));
    assert_eq!(
        world.turns.instance_params("turn-inc-1-3").unwrap()["from_event_id"],
        3
    );
    assert_eq!(
        world.object.agent_turn_ended("other-tenant", 3, 140_000),
        Err(DomainError::NotFound)
    );
}

#[test]
fn closing_cancels_a_pending_turn() {
    let world = World::new();
    world.say(Actor::user("alice"), "rolled back", 1_000);
    world.alarm(1_000);
    world
        .object
        .apply(
            TENANT,
            Command::UpdateStatus {
                status: Status::Resolved,
                message: "fixed".into(),
            },
            2_000,
        )
        .unwrap();
    world.alarm(2_000);
    world.alarm(61_000);
    assert!(world.turns.instance_ids().is_empty());
}

#[test]
fn a_suggestion_is_stored_once_by_id_or_dedupe_key() {
    let world = World::new();
    let first = world
        .suggest("s1", "status:open->mitigating", mitigate())
        .unwrap();
    let by_id = world.suggest("s1", "other-key", mitigate()).unwrap();
    let by_key = world
        .suggest("s2", "status:open->mitigating", mitigate())
        .unwrap();
    assert_eq!((by_id, by_key), (first, first));
    let view = world.object.get(TENANT).unwrap();
    let added: Vec<_> = view
        .timeline
        .iter()
        .filter(|e| e.event_type == "SUGGESTION_ADDED")
        .collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].data["change"]["kind"], "status");
    assert_eq!(added[0].actor, Some(Actor::agent()));
    assert_eq!(world.stored("s1").outcome, None);
}

#[test]
fn a_suggestion_that_would_be_refused_or_change_nothing_is_refused() {
    let world = World::new();
    let reopen = SuggestedChange::Status {
        status: Status::Open,
        message: "again".into(),
    };
    let same = SuggestedChange::Severity {
        severity: Severity::Medium,
    };
    let no_page = SuggestedChange::StatusPageUpdate {
        message: "m".into(),
        status: None,
        services: None,
    };
    assert_eq!(
        world.suggest("s1", "k1", reopen).unwrap_err().code(),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        world.suggest("s2", "k2", same).unwrap_err().code(),
        "INVALID_INPUT"
    );
    assert_eq!(
        world.suggest("s3", "k3", no_page).unwrap_err().code(),
        "NO_AFFECTION"
    );
    assert_eq!(
        world.suggest(" ", "k4", mitigate()).unwrap_err().code(),
        "INVALID_INPUT"
    );
    assert_eq!(
        world.object.get(TENANT).unwrap().timeline.len(),
        1,
        "nothing written"
    );
}

#[test]
fn applying_commits_the_change_as_the_person_and_records_which_suggestion_once() {
    let world = World::new();
    let suggested = world
        .suggest("s1", "status:open->mitigating", mitigate())
        .unwrap();
    let resolved = world.resolve("s1", SuggestionOutcome::Applied).unwrap();
    let view = world.object.get(TENANT).unwrap();
    assert_eq!(view.incident.status, Status::Mitigating);
    let change = &view.timeline[suggested as usize];
    assert_eq!(change.event_type, "STATUS_UPDATE");
    assert_eq!(change.actor, Some(Actor::slack("U-BOB")));
    let record = &view.timeline[resolved as usize - 1];
    assert_eq!(record.event_type, "SUGGESTION_RESOLVED");
    assert_eq!(
        record.data,
        json!({ "suggestion_id": "s1", "outcome": "applied", "user_id": "U-BOB", "change_event_id": change.event_id })
    );
    assert_eq!(world.stored("s1").outcome, Some(SuggestionOutcome::Applied));

    let again = world.resolve("s1", SuggestionOutcome::Dismissed);
    assert_eq!(again.unwrap_err().code(), "SUGGESTION_ALREADY_RESOLVED");
    assert_eq!(
        world.object.get(TENANT).unwrap().timeline.len(),
        view.timeline.len()
    );
}

#[test]
fn an_edited_suggestion_applies_the_persons_version_of_the_same_kind_once() {
    let world = World::new();
    world.suggest("s1", "k", mitigate()).unwrap();
    let severity = SuggestedChange::Severity {
        severity: Severity::High,
    };
    let wrong_kind = world.resolve_edited("s1", SuggestionOutcome::Applied, Some(&severity));
    assert_eq!(wrong_kind.unwrap_err().code(), "INVALID_INPUT");
    let dismissed = world.resolve_edited("s1", SuggestionOutcome::Dismissed, Some(&mitigate()));
    assert_eq!(dismissed.unwrap_err().code(), "INVALID_INPUT");
    let not_a_move = SuggestedChange::Status {
        status: Status::Open,
        message: "still broken".into(),
    };
    let refused = world.resolve_edited("s1", SuggestionOutcome::Applied, Some(&not_a_move));
    assert_eq!(
        refused.unwrap_err().code(),
        "INVALID_TRANSITION",
        "validated as any change: open to open"
    );
    assert_eq!(world.stored("s1").outcome, None, "nothing written so far");

    let rewritten = SuggestedChange::Status {
        status: Status::Resolved,
        message: "the rollback fixed it".into(),
    };
    let resolved = world
        .resolve_edited("s1", SuggestionOutcome::Applied, Some(&rewritten))
        .unwrap();
    let view = world.object.get(TENANT).unwrap();
    assert_eq!(view.incident.status, Status::Resolved);
    let record = &view.timeline[resolved as usize - 1];
    let change = &view.timeline[record.data["change_event_id"].as_i64().unwrap() as usize - 1];
    assert_eq!(
        (change.event_type.as_str(), &change.data["message"]),
        ("STATUS_UPDATE", &json!("the rollback fixed it"))
    );
    assert_eq!(record.data["outcome"], "applied");
    let again = world.resolve_edited("s1", SuggestionOutcome::Applied, Some(&rewritten));
    assert_eq!(again.unwrap_err().code(), "SUGGESTION_ALREADY_RESOLVED");
}

#[test]
fn dismissing_records_it_and_changes_nothing_else() {
    let world = World::new();
    world.suggest("s1", "k", mitigate()).unwrap();
    world.resolve("s1", SuggestionOutcome::Dismissed).unwrap();
    let view = world.object.get(TENANT).unwrap();
    assert_eq!(view.incident.status, Status::Open);
    assert_eq!(view.timeline.last().unwrap().data["outcome"], "dismissed");
    assert_eq!(
        world.stored("s1").outcome,
        Some(SuggestionOutcome::Dismissed)
    );
}

#[test]
fn a_stale_or_unknown_or_foreign_suggestion_is_refused_and_writes_nothing() {
    let world = World::new();
    world.suggest("s1", "k", mitigate()).unwrap();
    world
        .object
        .apply(
            TENANT,
            Command::UpdateStatus {
                status: Status::Mitigating,
                message: "done by hand".into(),
            },
            5_500,
        )
        .unwrap();
    let before = world.object.get(TENANT).unwrap().timeline.len();
    let stale = world.resolve("s1", SuggestionOutcome::Applied);
    assert_eq!(stale.unwrap_err().code(), "INVALID_TRANSITION");
    assert_eq!(
        world.stored("s1").outcome,
        None,
        "still open: it can be dismissed"
    );
    assert_eq!(
        world
            .resolve("nope", SuggestionOutcome::Dismissed)
            .unwrap_err()
            .code(),
        "INVALID_INPUT"
    );
    let foreign = Origin {
        tenant: "other".into(),
        actor: Actor::slack("U-EVE"),
        idempotency: Idempotency::None,
    };
    assert_eq!(
        world
            .object
            .resolve_suggestion(&foreign, "s1", SuggestionOutcome::Dismissed, None, 7_000),
        Err(DomainError::NotFound)
    );
    assert_eq!(world.object.get(TENANT).unwrap().timeline.len(), before);
}
