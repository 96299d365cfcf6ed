//! The Incident Durable Object's storage shell over the runtime's [`SqlStore`] port: it reads
//! the state, asks [`crate::decide`] what a command means, and commits the decision. The
//! worker's DO class only decodes protocol requests and calls this.
//!
//! Every change is one transaction: the new state, its outbox event (with the state as of the
//! event), any index it needs (message ids, idempotency keys) and the alarm. Reads never
//! create storage: a Durable Object that was never started (or was finalised) holds no tables.

mod alarm;
pub mod debounce;
pub(crate) mod failed_effects;
mod lanes;
mod schema;
mod suggestions;
mod turns;

pub use alarm::{AlarmReport, Archive, FINALIZE_RETRY_MS, FINISH_GRACE_MS};
pub use debounce::TurnPacing;
pub use failed_effects::{EffectFailure, EffectsReport, FailedEffect};
pub use lanes::{workflow_effects, LaneUpdate, LaneUpdateKind, LaneView, HANDOVER_GRACE_MS};
pub use schema::{KEY_MEMORY_MS, REQUEST_MEMORY_MS};
pub use suggestions::SuggestionLookup;
pub use turns::{
    AgentTurn, AgentTurns, TurnReport, AGENT_TURN_WORKFLOW, DEFAULT_MAX_WAIT_SECONDS,
    DEFAULT_QUIET_SECONDS, IN_FLIGHT_TIMEOUT_MS, MAX_WAIT_VAR, QUIET_VAR, START_RETRY_MS,
};

use crate::decide::{self, Command, Decision, EventData, StartIncident};
use crate::error::{Conflict, DomainError};
use crate::forward;
use crate::model::{Actor, IncidentMessage, IncidentState};
use crate::view::{self, Applied, IncidentView, TimelineEntry};
use serde::{Deserialize, Serialize};
use sluice::outbox::{NewEvent, Outbox, OutboxPolicy};
use sluice::sql::{SqlError, SqlStore};
use std::cell::Cell;
use std::collections::BTreeMap;

/// Outcome of `start`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Started {
    Created(IncidentState),
    /// `start` on an object that already holds an incident is a no-op returning it.
    AlreadyExisted(IncidentState),
}

/// How a repeated request is recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Idempotency {
    /// No protection: each call is a new change (the same severity twice is still a no-op).
    None,
    /// A signed API request: an exact replay is refused with `REQUEST_REPLAYED`.
    Signature(String),
    /// A workflow step's idempotency key: a retry answers the first outcome, so a step that
    /// applies a change and is retried still produces one event.
    Key(String),
}

/// Who asks for a change, on behalf of which tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub tenant: String,
    pub actor: Actor,
    pub idempotency: Idempotency,
}

pub struct IncidentObject<S: SqlStore> {
    store: S,
    policy: OutboxPolicy,
    /// The tables exist (checked once per object instance, not per request).
    schema_ready: Cell<bool>,
}

impl<S: SqlStore> IncidentObject<S> {
    /// Wraps the storage; creates nothing (tables appear with the first `start`).
    pub fn open(store: S) -> Self {
        Self {
            store,
            policy: OutboxPolicy::default(),
            schema_ready: Cell::new(false),
        }
    }

    pub fn with_policy(mut self, policy: OutboxPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub(crate) fn outbox(&self) -> Outbox<'_, S> {
        Outbox::new(&self.store, self.policy)
    }

    /// Creates missing tables, so objects started by an older build gain new ones.
    fn ensure_schema(&self) -> Result<(), SqlError> {
        if self.schema_ready.get() {
            return Ok(());
        }
        for statement in schema::TABLES.iter().chain(&lanes::SCHEMA) {
            self.store.execute(statement, &[])?;
        }
        self.outbox().migrate()?;
        // The generation record's table before it knew about closed generations.
        match self.store.execute(
            "INSERT OR IGNORE INTO workflow_generation (singleton, generation, events, last_forward_at) \
             SELECT singleton, generation, events, last_forward_at FROM workflow_instance",
            &[],
        ) {
            Err(e) if !e.is_missing_table() => return Err(e),
            _ => {}
        }
        self.schema_ready.set(true);
        Ok(())
    }

    pub fn state(&self) -> Result<Option<IncidentState>, DomainError> {
        Ok(schema::read_state(&self.store)?)
    }

    /// The incident, if it exists and belongs to `tenant` (another tenant's is not found).
    pub fn owned_state(&self, tenant: &str) -> Result<IncidentState, DomainError> {
        self.state()?
            .filter(|s| s.tenant_id == tenant)
            .ok_or(DomainError::NotFound)
    }

    /// Commits the new state with its event, `also` (extra writes that need the event id) and
    /// the alarm, in one transaction; the outbox row carries the state as of the event.
    fn commit(
        &self,
        mut state: IncidentState,
        event: &EventData,
        actor: &Actor,
        now_ms: i64,
        also: impl FnOnce(i64) -> Result<(), SqlError>,
    ) -> Result<Applied, DomainError> {
        let data = view::with_actor(event.to_json(), actor);
        let outbox = self.outbox();
        let event_id = self.store.transaction(|| {
            let event_id = outbox.append_with(
                NewEvent {
                    event_type: event.event_type(),
                    data: &data,
                },
                now_ms,
                |event_id| {
                    state.last_event_id = event_id;
                    state.updated_at = now_ms;
                    schema::write_state(&self.store, &state).map(Some)
                },
            )?;
            also(event_id)?;
            Ok(event_id)
        })?;
        Ok(Applied {
            incident: state,
            event_id: Some(event_id),
            duplicate: false,
        })
    }

    /// Declares the incident: state + `INCIDENT_CREATED` + alarm, atomically.
    pub fn start(&self, input: StartIncident, now_ms: i64) -> Result<Started, DomainError> {
        if let Some(existing) = self.state()? {
            return Ok(Started::AlreadyExisted(existing));
        }
        let actor = Actor::user(input.created_by.clone());
        let (state, created) = decide::decide_start(input, now_ms)?;
        self.ensure_schema()?;
        let applied = self.commit(state, &EventData::Created(created), &actor, now_ms, |_| {
            Ok(())
        })?;
        Ok(Started::Created(applied.incident))
    }

    /// Applies a change on behalf of `tenant`, by incidentd itself, without replay protection.
    pub fn apply(
        &self,
        tenant: &str,
        command: Command,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        let origin = Origin {
            tenant: tenant.to_owned(),
            actor: Actor::system(),
            idempotency: Idempotency::None,
        };
        self.apply_as(&origin, command, now_ms)
    }

    /// Applies a change: the same validation and outbox path whoever asks (the API, Slack, a
    /// workflow step), with the actor recorded on the event.
    pub fn apply_as(
        &self,
        origin: &Origin,
        command: Command,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        self.idempotent(origin, now_ms, |current| {
            self.decide_and_commit(current, &origin.actor, command, now_ms)
        })
    }

    /// Runs `change` on the tenant's incident unless `origin.idempotency` says it ran already,
    /// and remembers that it ran.
    fn idempotent(
        &self,
        origin: &Origin,
        now_ms: i64,
        change: impl FnOnce(IncidentState) -> Result<Applied, DomainError>,
    ) -> Result<Applied, DomainError> {
        let current = self.owned_state(&origin.tenant)?;
        self.ensure_schema()?;
        match &origin.idempotency {
            Idempotency::None => {}
            Idempotency::Signature(id) => {
                if self.seen_request(id)? {
                    return Err(DomainError::conflict(
                        Conflict::RequestReplayed,
                        "this exact request was already applied; sign a new one",
                    ));
                }
            }
            Idempotency::Key(key) => {
                if let Some(event_id) = self.seen_key(key)? {
                    return Ok(Applied {
                        incident: current,
                        event_id,
                        duplicate: true,
                    });
                }
            }
        }
        let applied = change(current)?;
        // No await between the commit and this write: on the platform they commit together.
        match &origin.idempotency {
            Idempotency::None => {}
            Idempotency::Signature(id) => self.store.execute(
                "INSERT INTO applied_requests (request_id, at) VALUES (?, ?)",
                &[id.as_str().into(), now_ms.into()],
            )?,
            Idempotency::Key(key) => self.store.execute(
                "INSERT INTO applied_keys (key, event_id, at) VALUES (?, ?, ?)",
                &[key.as_str().into(), applied.event_id.into(), now_ms.into()],
            )?,
        }
        Ok(applied)
    }

    fn seen_request(&self, request_id: &str) -> Result<bool, SqlError> {
        Ok(!self
            .store
            .query(
                "SELECT 1 AS seen FROM applied_requests WHERE request_id = ?",
                &[request_id.into()],
            )?
            .is_empty())
    }

    /// The event a key produced (`Some(None)`: it changed nothing), or `None` if unseen.
    fn seen_key(&self, key: &str) -> Result<Option<Option<i64>>, SqlError> {
        Ok(self
            .store
            .query(
                "SELECT event_id FROM applied_keys WHERE key = ?",
                &[key.into()],
            )?
            .first()
            .map(|row| row.get("event_id").and_then(serde_json::Value::as_i64)))
    }

    fn decide_and_commit(
        &self,
        current: IncidentState,
        actor: &Actor,
        command: Command,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        // Messages and prompts are deduplicated by their ids (one index, prefixed apart).
        let dedupe_id = match &command {
            Command::AddMessage { message_id, .. } => Some(message_id.trim().to_owned()),
            Command::AddPrompt { prompt_id, .. } => Some(format!("prompt:{}", prompt_id.trim())),
            _ => None,
        };
        // Suggestions by their id or dedupe key (their own index, which resolving reads).
        let seen = match &command {
            Command::AddSuggestion { suggestion } => self.seen_suggestion(suggestion)?,
            _ => match &dedupe_id {
                Some(id) => self.seen_message(id)?,
                None => None,
            },
        };
        if let Some(event_id) = seen {
            return Ok(Applied {
                incident: current,
                event_id: Some(event_id),
                duplicate: true,
            });
        }
        match decide::decide(&current, command)? {
            Decision::Unchanged => Ok(Applied {
                incident: current,
                event_id: None,
                duplicate: false,
            }),
            Decision::Quiet { next } => {
                self.store
                    .transaction(|| schema::write_state(&self.store, &next).map(drop))?;
                Ok(Applied {
                    incident: *next,
                    event_id: None,
                    duplicate: false,
                })
            }
            Decision::Event { next, event } => {
                self.commit(*next, &event, actor, now_ms, |event_id| {
                    match (&event, dedupe_id) {
                        (EventData::Suggestion(suggestion), _) => {
                            self.index_suggestion(suggestion, event_id)
                        }
                        (_, Some(id)) => self.store.execute(
                            "INSERT INTO message_ids (message_id, event_id) VALUES (?, ?)",
                            &[id.into(), event_id.into()],
                        ),
                        _ => Ok(()),
                    }
                })
            }
        }
    }

    fn seen_message(&self, message_id: &str) -> Result<Option<i64>, SqlError> {
        Ok(self
            .store
            .query(
                "SELECT event_id FROM message_ids WHERE message_id = ?",
                &[message_id.into()],
            )?
            .first()
            .and_then(|r| r.get("event_id"))
            .and_then(serde_json::Value::as_i64))
    }

    /// Adapter bookkeeping (a Slack channel id, say): merged key by key, no event; allowed
    /// after the close too.
    pub fn merge_metadata(
        &self,
        tenant: &str,
        entries: BTreeMap<String, String>,
    ) -> Result<IncidentState, DomainError> {
        let current = self.owned_state(tenant)?;
        match decide::decide_metadata(&current, entries)? {
            Decision::Quiet { next } => {
                self.store
                    .transaction(|| schema::write_state(&self.store, &next).map(drop))?;
                Ok(*next)
            }
            _ => Ok(current),
        }
    }

    pub fn get(&self, tenant: &str) -> Result<IncidentView, DomainError> {
        let incident = self.owned_state(tenant)?;
        self.view(incident)
    }

    /// What the incident agent reads: the incident (services, affection and metadata included)
    /// and every event. It answers for closed incidents too, until the object is finalised.
    pub fn agent_context(&self, tenant: &str) -> Result<IncidentView, DomainError> {
        self.get(tenant)
    }

    pub(crate) fn view(&self, incident: IncidentState) -> Result<IncidentView, DomainError> {
        let timeline = self
            .outbox()
            .timeline()?
            .into_iter()
            .map(TimelineEntry::from)
            .collect();
        Ok(IncidentView { incident, timeline })
    }

    pub fn dead_letters(&self, tenant: &str) -> Result<Vec<TimelineEntry>, DomainError> {
        self.owned_state(tenant)?;
        Ok(self
            .outbox()
            .dead_letters()?
            .into_iter()
            .map(TimelineEntry::from)
            .collect())
    }

    /// Puts a dead-lettered event back in the queue.
    pub fn replay(&self, tenant: &str, event_id: i64, now_ms: i64) -> Result<(), DomainError> {
        self.owned_state(tenant)?;
        if self.outbox().replay(event_id, now_ms)? {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// The `IncidentWorkflow` instance the incident's events currently go to.
    pub fn workflow_instance(&self, tenant: &str) -> Result<String, DomainError> {
        let state = self.owned_state(tenant)?;
        Ok(forward::current_instance(&self.store, &state.id)?)
    }

    /// The messages of the events after `after` and before `before` that were published (sent
    /// to the workflow) and not dead-lettered since: what an instance that got `before` next
    /// should have received first. At most [`forward::EVENTS_PER_INSTANCE`] of them.
    pub fn missed_events(
        &self,
        tenant: &str,
        after: i64,
        before: i64,
    ) -> Result<Vec<IncidentMessage>, DomainError> {
        self.owned_state(tenant)?;
        let to = (before - 1).min(after + forward::EVENTS_PER_INSTANCE);
        self.outbox()
            .between(after + 1, to)?
            .iter()
            .filter(|row| row.published_at.is_some() && row.dead_at.is_none())
            .map(|row| forward::message_for(row, false).map_err(DomainError::Storage))
            .collect()
    }
}
