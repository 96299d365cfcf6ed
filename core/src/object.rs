//! The Incident Durable Object's logic over the runtime's [`SqlStore`] port. The worker's DO
//! class is a thin shell that builds this over `ctx.storage` and forwards calls.

use crate::effects::IncidentCreated;
use crate::error::DomainError;
use crate::forward::IncidentForwarder;
use crate::model::{event_type, IncidentMessage, IncidentState, Severity, Source, Status};
use incidentd_runtime::outbox::{NewEvent, Outbox, OutboxPolicy, OutboxRow, PassReport};
use incidentd_runtime::sql::{SqlError, SqlStore};
use incidentd_runtime::workflow::WorkflowClient;
use serde::{Deserialize, Serialize};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS incident (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    state     TEXT    NOT NULL CHECK (json_valid(state))
)";

/// Longest accepted prompt, in characters.
pub const MAX_PROMPT_CHARS: usize = 4_000;
/// Longest accepted or derived title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// Input of `start`, already authenticated and parsed by a receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartIncident {
    pub id: String,
    pub tenant_id: String,
    pub prompt: String,
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub created_by: String,
    pub source: Source,
}

impl StartIncident {
    /// Checks the input without touching storage, so receivers can reject it before
    /// addressing (and so creating) a Durable Object.
    pub fn validate(&self) -> Result<(), DomainError> {
        let prompt = self.prompt.trim();
        if prompt.is_empty() {
            return Err(DomainError::invalid("prompt", "must not be empty"));
        }
        if prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(DomainError::invalid(
                "prompt",
                format!("at most {MAX_PROMPT_CHARS} characters"),
            ));
        }
        match self.title.as_deref().map(str::trim) {
            Some("") => {
                return Err(DomainError::invalid(
                    "title",
                    "must not be empty when given",
                ))
            }
            Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
                return Err(DomainError::invalid(
                    "title",
                    format!("at most {MAX_TITLE_CHARS} characters"),
                ))
            }
            _ => {}
        }
        for (field, value) in [
            ("id", &self.id),
            ("tenant_id", &self.tenant_id),
            ("created_by", &self.created_by),
        ] {
            if value.trim().is_empty() {
                return Err(DomainError::invalid(field, "must not be empty"));
            }
        }
        Ok(())
    }

    /// Checks the input and fills the derived fields.
    fn into_state(self, now_ms: i64) -> Result<IncidentState, DomainError> {
        self.validate()?;
        let prompt = self.prompt.trim().to_owned();
        let title = match self.title.as_deref().map(str::trim) {
            Some(t) => t.to_owned(),
            None => title_from_prompt(&prompt),
        };
        Ok(IncidentState {
            id: self.id,
            tenant_id: self.tenant_id,
            status: Status::Open,
            severity: self.severity.unwrap_or(Severity::Medium),
            title,
            description: prompt.clone(),
            prompt,
            created_by: self.created_by,
            source: self.source,
            assignee: None,
            created_at: now_ms,
            updated_at: now_ms,
            last_event_id: 0,
        })
    }
}

/// The fallback title: the prompt's first line, cut at a word boundary.
pub fn title_from_prompt(prompt: &str) -> String {
    let line = prompt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Incident");
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS - 1).collect();
    let at_word = cut
        .rfind(char::is_whitespace)
        .filter(|&i| i > MAX_TITLE_CHARS / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

/// One timeline entry as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub event_id: i64,
    pub event_type: String,
    pub data: serde_json::Value,
    pub at: i64,
    pub published_at: Option<i64>,
    pub attempts: u32,
    pub dead_lettered: bool,
}

impl From<OutboxRow> for TimelineEntry {
    fn from(row: OutboxRow) -> Self {
        TimelineEntry {
            event_id: row.event_id,
            event_type: row.event_type,
            data: row.data,
            at: row.created_at,
            published_at: row.published_at,
            attempts: row.attempts,
            dead_lettered: row.dead_at.is_some(),
        }
    }
}

/// `get`: the state and the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub incident: IncidentState,
    pub timeline: Vec<TimelineEntry>,
}

/// Outcome of `start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    Created(IncidentState),
    /// `start` on an object that already holds an incident is a no-op returning it.
    AlreadyExisted(IncidentState),
}

pub struct IncidentObject<S: SqlStore> {
    store: S,
    policy: OutboxPolicy,
}

impl<S: SqlStore> IncidentObject<S> {
    /// Opens the object and creates its tables if needed (cheap and idempotent).
    pub fn open(store: S) -> Result<Self, DomainError> {
        let object = Self {
            store,
            policy: OutboxPolicy::default(),
        };
        object.store.execute(SCHEMA, &[])?;
        object.outbox().migrate()?;
        Ok(object)
    }

    pub fn with_policy(mut self, policy: OutboxPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    fn outbox(&self) -> Outbox<'_, S> {
        Outbox::new(&self.store, self.policy)
    }

    pub fn state(&self) -> Result<Option<IncidentState>, DomainError> {
        let rows = self
            .store
            .query("SELECT state FROM incident WHERE singleton = 1", &[])?;
        let Some(text) = rows
            .first()
            .and_then(|r| r.get("state"))
            .and_then(|v| v.as_str())
        else {
            return Ok(None);
        };
        serde_json::from_str(text)
            .map(Some)
            .map_err(|e| DomainError::Storage(format!("stored state does not decode: {e}")))
    }

    /// Commits the new state together with its event and the alarm, in one transaction.
    fn commit(
        &self,
        mut state: IncidentState,
        event: &str,
        data: serde_json::Value,
        now_ms: i64,
    ) -> Result<IncidentState, DomainError> {
        let outbox = self.outbox();
        let committed = self.store.transaction(|| {
            // The event id is assigned by the insert; the snapshot must carry it, so the row is
            // written first and its snapshot completed in the same transaction.
            let event_id = outbox.append(
                NewEvent {
                    event_type: event,
                    data: &data,
                    snapshot: None,
                },
                now_ms,
            )?;
            state.last_event_id = event_id;
            state.updated_at = now_ms;
            let snapshot =
                serde_json::to_string(&state).map_err(|e| SqlError::new(e.to_string()))?;
            self.store.execute(
                "UPDATE outbox SET snapshot = ? WHERE event_id = ?",
                &[snapshot.as_str().into(), event_id.into()],
            )?;
            self.store.execute(
                "INSERT INTO incident (singleton, state) VALUES (1, ?) \
                 ON CONFLICT(singleton) DO UPDATE SET state = excluded.state",
                &[snapshot.into()],
            )?;
            Ok(state)
        })?;
        Ok(committed)
    }

    /// Declares the incident: state + `INCIDENT_CREATED` + alarm, atomically.
    pub fn start(&self, input: StartIncident, now_ms: i64) -> Result<Started, DomainError> {
        if let Some(existing) = self.state()? {
            return Ok(Started::AlreadyExisted(existing));
        }
        let state = input.into_state(now_ms)?;
        let data = serde_json::to_value(IncidentCreated {
            status: state.status,
            severity: state.severity,
            title: state.title.clone(),
            description: state.description.clone(),
            prompt: state.prompt.clone(),
            created_by: state.created_by.clone(),
            source: state.source,
            assignee: state.assignee.clone(),
        })
        .map_err(|e| DomainError::Storage(e.to_string()))?;
        self.commit(state, event_type::INCIDENT_CREATED, data, now_ms)
            .map(Started::Created)
    }

    pub fn get(&self) -> Result<IncidentView, DomainError> {
        let incident = self.state()?.ok_or(DomainError::NotFound)?;
        let timeline = self
            .outbox()
            .timeline()?
            .into_iter()
            .map(TimelineEntry::from)
            .collect();
        Ok(IncidentView { incident, timeline })
    }

    /// The alarm: forward due events to the incident's workflow, re-arming while work remains.
    pub async fn on_alarm(
        &self,
        workflows: &dyn WorkflowClient,
        now_ms: i64,
    ) -> Result<PassReport, DomainError> {
        let Some(state) = self.state()? else {
            return Ok(PassReport::default());
        };
        let forwarder = IncidentForwarder::new(workflows, &state.id);
        Ok(self.outbox().forward_due(&forwarder, now_ms).await?)
    }

    /// The message the outbox forwards for a row.
    pub fn message(row: &OutboxRow) -> Result<IncidentMessage, String> {
        crate::forward::message_for(row)
    }
}
