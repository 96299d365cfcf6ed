//! The Incident Durable Object's logic over the runtime's [`SqlStore`] port. The worker's DO
//! class is a thin shell that builds this over `ctx.storage` and forwards calls.
//!
//! Every change is one transaction: the new state, its outbox event, any index it needs
//! (message ids) and the alarm. Reads never create storage: a Durable Object that was never
//! started (or was finalised) holds no tables.

use crate::effects::{
    AffectionUpdated, AssigneeUpdated, IncidentCreated, MessageAdded, SeverityUpdated,
    StatusUpdated,
};
use crate::error::DomainError;
use crate::forward::IncidentForwarder;
use crate::model::{
    event_type, AffectedService, Affection, AffectionStatus, EntryPoint, IncidentState, Service,
    Severity, Source, Status,
};
use incidentd_runtime::outbox::{NewEvent, Outbox, OutboxPolicy, OutboxRow, PassReport};
use incidentd_runtime::sql::{SqlError, SqlStore};
use incidentd_runtime::workflow::WorkflowClient;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS incident (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        state     TEXT    NOT NULL CHECK (json_valid(state))
    )",
    // Message dedupe by primary key: O(1) whatever the timeline's length.
    "CREATE TABLE IF NOT EXISTS message_ids (
        message_id TEXT    PRIMARY KEY,
        event_id   INTEGER NOT NULL
    ) WITHOUT ROWID",
    // Requests already applied, by signature: an exact replay within the signature's window
    // is refused. Pruned by the alarm once older than the window.
    "CREATE TABLE IF NOT EXISTS applied_requests (
        request_id TEXT    PRIMARY KEY,
        at         INTEGER NOT NULL
    ) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS applied_requests_at ON applied_requests(at)",
];

/// How long applied request ids are remembered: longer than the signature window both ways.
pub const REQUEST_MEMORY_MS: i64 = 15 * 60_000;

/// Longest accepted prompt, in characters.
pub const MAX_PROMPT_CHARS: usize = 4_000;
/// Longest accepted or derived title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest accepted message (status, chat, affection), in characters.
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Longest id-like value (assignee, message id, service id), in characters.
pub const MAX_ID_CHARS: usize = 200;

fn text(
    field: &'static str,
    value: &str,
    max: usize,
    allow_empty: bool,
) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() && !allow_empty {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

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
    /// The tenant's entry points; the fallback is chosen while AI triage is unavailable.
    #[serde(default)]
    pub entry_points: Vec<EntryPoint>,
    /// The tenant's service catalog.
    #[serde(default)]
    pub services: Vec<Service>,
}

impl StartIncident {
    /// Checks the input without touching storage, so receivers can reject it before
    /// addressing (and so creating) a Durable Object.
    pub fn validate(&self) -> Result<(), DomainError> {
        text("prompt", &self.prompt, MAX_PROMPT_CHARS, false)?;
        if let Some(title) = &self.title {
            text("title", title, MAX_TITLE_CHARS, false)?;
        }
        for (field, value) in [
            ("id", &self.id),
            ("tenant_id", &self.tenant_id),
            ("created_by", &self.created_by),
        ] {
            text(field, value, MAX_ID_CHARS, false)?;
        }
        Ok(())
    }

    /// The entry point to page: AI triage is not configured, so the tenant's fallback (or its
    /// first entry point); none configured leaves the incident unassigned, never stuck.
    fn entry_point(&self) -> Option<&EntryPoint> {
        self.entry_points
            .iter()
            .find(|e| e.is_fallback)
            .or_else(|| self.entry_points.first())
    }

    fn into_state(self, now_ms: i64) -> Result<IncidentState, DomainError> {
        self.validate()?;
        let prompt = self.prompt.trim().to_owned();
        let title = match self.title.as_deref().map(str::trim) {
            Some(t) => t.to_owned(),
            None => title_from_prompt(&prompt),
        };
        let entry_point = self.entry_point().cloned();
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
            assignee: entry_point.as_ref().map(|e| e.assignee.clone()),
            entry_point_id: entry_point.map(|e| e.id),
            services: self.services,
            affection: None,
            metadata: BTreeMap::new(),
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

/// A change to an incident, as a receiver asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    SetSeverity {
        severity: Severity,
    },
    SetAssignee {
        assignee: Option<String>,
    },
    UpdateStatus {
        status: Status,
        message: String,
    },
    AddMessage {
        message: String,
        message_id: String,
        user_id: String,
    },
    CreateAffection {
        title: String,
        services: Vec<AffectedService>,
        message: String,
        created_by: String,
    },
    UpdateAffection {
        message: String,
        status: Option<AffectionStatus>,
        created_by: String,
    },
    /// Adapter bookkeeping (a Slack channel id, say): merged, no event.
    MergeMetadata {
        entries: BTreeMap<String, String>,
    },
}

/// The outcome of a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Applied {
    pub incident: IncidentState,
    /// The event written, or `None` when nothing changed.
    pub event_id: Option<i64>,
    /// A message id seen before: nothing was written, `event_id` is the original's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// One timeline entry as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub event_id: i64,
    pub event_type: String,
    pub data: serde_json::Value,
    pub at: i64,
    pub published_at: Option<i64>,
    pub attempts: u32,
    pub dead_lettered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
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
            last_error: row.last_error,
        }
    }
}

/// `get`: the state and the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// Where a finished incident's record goes before its object's storage is deleted.
#[async_trait::async_trait(?Send)]
pub trait Archive {
    async fn archive(&self, view: &IncidentView) -> Result<(), String>;
}

/// What an alarm did after forwarding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmReport {
    pub pass: PassReport,
    /// The incident was closed and drained: archived, analysis started, storage deleted.
    pub finalized: bool,
    /// Why finalisation must wait (retried on a later alarm).
    pub finalize_error: Option<String>,
}

/// How long after a failed finalisation the alarm tries again.
pub const FINALIZE_RETRY_MS: i64 = 30_000;

pub struct IncidentObject<S: SqlStore> {
    store: S,
    policy: OutboxPolicy,
}

impl<S: SqlStore> IncidentObject<S> {
    /// Wraps the storage; creates nothing (tables appear with the first `start`).
    pub fn open(store: S) -> Self {
        Self {
            store,
            policy: OutboxPolicy::default(),
        }
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

    fn migrate(&self) -> Result<(), DomainError> {
        for statement in SCHEMA {
            self.store.execute(statement, &[])?;
        }
        self.outbox().migrate()?;
        crate::forward::migrate(&self.store)?;
        Ok(())
    }

    pub fn state(&self) -> Result<Option<IncidentState>, DomainError> {
        let rows = match self
            .store
            .query("SELECT state FROM incident WHERE singleton = 1", &[])
        {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
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

    /// The incident, if it exists and belongs to `tenant` (another tenant's is not found).
    pub fn owned_state(&self, tenant: &str) -> Result<IncidentState, DomainError> {
        self.state()?
            .filter(|s| s.tenant_id == tenant)
            .ok_or(DomainError::NotFound)
    }

    fn write_state(&self, state: &IncidentState) -> Result<String, SqlError> {
        let text = serde_json::to_string(state).map_err(|e| SqlError::new(e.to_string()))?;
        self.store.execute(
            "INSERT INTO incident (singleton, state) VALUES (1, ?) ON CONFLICT(singleton) DO UPDATE SET state = excluded.state",
            &[text.as_str().into()],
        )?;
        Ok(text)
    }

    /// Commits the new state with its event, `also` (extra writes that need the event id) and
    /// the alarm, in one transaction.
    fn commit<T: Serialize>(
        &self,
        mut state: IncidentState,
        event: &str,
        data: &T,
        now_ms: i64,
        also: impl FnOnce(i64) -> Result<(), SqlError>,
    ) -> Result<Applied, DomainError> {
        let data = serde_json::to_value(data).map_err(|e| DomainError::Storage(e.to_string()))?;
        let outbox = self.outbox();
        let committed = self.store.transaction(|| {
            // The event id comes from the insert; the snapshot must carry it, so the row is
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
            let snapshot = self.write_state(&state)?;
            self.store.execute(
                "UPDATE outbox SET snapshot = ? WHERE event_id = ?",
                &[snapshot.into(), event_id.into()],
            )?;
            also(event_id)?;
            Ok(event_id)
        })?;
        Ok(Applied {
            incident: state,
            event_id: Some(committed),
            duplicate: false,
        })
    }

    /// Declares the incident: state + `INCIDENT_CREATED` + alarm, atomically.
    pub fn start(&self, input: StartIncident, now_ms: i64) -> Result<Started, DomainError> {
        if let Some(existing) = self.state()? {
            return Ok(Started::AlreadyExisted(existing));
        }
        let state = input.into_state(now_ms)?;
        self.migrate()?;
        let data = IncidentCreated {
            status: state.status,
            severity: state.severity,
            title: state.title.clone(),
            description: state.description.clone(),
            prompt: state.prompt.clone(),
            created_by: state.created_by.clone(),
            source: state.source,
            assignee: state.assignee.clone(),
        };
        let applied = self.commit(state, event_type::INCIDENT_CREATED, &data, now_ms, |_| {
            Ok(())
        })?;
        Ok(Started::Created(applied.incident))
    }

    /// Applies a change on behalf of `tenant`.
    pub fn apply(
        &self,
        tenant: &str,
        command: Command,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        let current = self.owned_state(tenant)?;
        if current.status.is_terminal() {
            return Err(DomainError::conflict(
                "INCIDENT_CLOSED",
                format!(
                    "the incident is {}; it accepts no more changes",
                    current.status.as_str()
                ),
            ));
        }
        let unchanged = |incident: IncidentState| {
            Ok(Applied {
                incident,
                event_id: None,
                duplicate: false,
            })
        };
        let mut next = current.clone();
        match command {
            Command::SetSeverity { severity } => {
                if severity == current.severity {
                    return unchanged(current);
                }
                next.severity = severity;
                self.commit(
                    next,
                    event_type::SEVERITY_UPDATE,
                    &SeverityUpdated { severity },
                    now_ms,
                    |_| Ok(()),
                )
            }
            Command::SetAssignee { assignee } => {
                let assignee = match assignee {
                    Some(a) => Some(text("assignee", &a, MAX_ID_CHARS, false)?),
                    None => None,
                };
                if assignee == current.assignee {
                    return unchanged(current);
                }
                next.assignee = assignee.clone();
                self.commit(
                    next,
                    event_type::ASSIGNEE_UPDATE,
                    &AssigneeUpdated { assignee },
                    now_ms,
                    |_| Ok(()),
                )
            }
            Command::UpdateStatus { status, message } => {
                let message = text("message", &message, MAX_MESSAGE_CHARS, true)?;
                if !current.status.can_move_to(status) {
                    return Err(DomainError::conflict(
                        "INVALID_TRANSITION",
                        format!("cannot move from {} to {}; allowed: open → mitigating, open | mitigating → resolved | declined", current.status.as_str(), status.as_str()),
                    ));
                }
                next.status = status;
                self.commit(
                    next,
                    event_type::STATUS_UPDATE,
                    &StatusUpdated { status, message },
                    now_ms,
                    |_| Ok(()),
                )
            }
            Command::AddMessage {
                message,
                message_id,
                user_id,
            } => {
                let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
                let message_id = text("message_id", &message_id, MAX_ID_CHARS, false)?;
                let user_id = text("user_id", &user_id, MAX_ID_CHARS, false)?;
                let seen = self.store.query(
                    "SELECT event_id FROM message_ids WHERE message_id = ?",
                    &[message_id.as_str().into()],
                )?;
                if let Some(event_id) = seen
                    .first()
                    .and_then(|r| r.get("event_id"))
                    .and_then(|v| v.as_i64())
                {
                    return Ok(Applied {
                        incident: current,
                        event_id: Some(event_id),
                        duplicate: true,
                    });
                }
                let data = MessageAdded {
                    message,
                    message_id: message_id.clone(),
                    user_id,
                };
                self.commit(next, event_type::MESSAGE_ADDED, &data, now_ms, |event_id| {
                    self.store.execute(
                        "INSERT INTO message_ids (message_id, event_id) VALUES (?, ?)",
                        &[message_id.as_str().into(), event_id.into()],
                    )
                })
            }
            Command::CreateAffection {
                title,
                services,
                message,
                created_by,
            } => {
                if current.affection.is_some() {
                    return Err(DomainError::conflict(
                        "AFFECTION_EXISTS",
                        "the status-page incident exists; post an update instead",
                    ));
                }
                let title = text("title", &title, MAX_TITLE_CHARS, false)?;
                let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
                // Known services only, each once (the last impact given wins).
                let mut chosen: Vec<AffectedService> = Vec::new();
                for service in services {
                    if !current.services.iter().any(|s| s.id == service.id) {
                        let known: Vec<&str> =
                            current.services.iter().map(|s| s.id.as_str()).collect();
                        return Err(DomainError::invalid(
                            "services",
                            format!("unknown service {:?}; known: {known:?}", service.id),
                        ));
                    }
                    chosen.retain(|s| s.id != service.id);
                    chosen.push(service);
                }
                if chosen.is_empty() {
                    return Err(DomainError::invalid(
                        "services",
                        "at least one service is required",
                    ));
                }
                next.affection = Some(Affection {
                    title: title.clone(),
                    services: chosen.clone(),
                    status: AffectionStatus::Investigating,
                    updates: 1,
                });
                let data = AffectionUpdated {
                    message,
                    created_by,
                    status: Some(AffectionStatus::Investigating),
                    title: Some(title),
                    services: Some(chosen),
                };
                self.commit(
                    next,
                    event_type::AFFECTION_UPDATE,
                    &data,
                    now_ms,
                    |_| Ok(()),
                )
            }
            Command::UpdateAffection {
                message,
                status,
                created_by,
            } => {
                let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
                let Some(affection) = next.affection.as_mut() else {
                    return Err(DomainError::conflict(
                        "NO_AFFECTION",
                        "there is no status-page incident yet; create it first",
                    ));
                };
                if let Some(status) = status {
                    if status <= affection.status {
                        return Err(DomainError::conflict(
                            "STATUS_CAN_ONLY_MOVE_FORWARD",
                            "the status-page status only moves forward: investigating → mitigating → resolved",
                        ));
                    }
                    affection.status = status;
                }
                affection.updates += 1;
                let data = AffectionUpdated {
                    message,
                    created_by,
                    status,
                    title: None,
                    services: None,
                };
                self.commit(
                    next,
                    event_type::AFFECTION_UPDATE,
                    &data,
                    now_ms,
                    |_| Ok(()),
                )
            }
            Command::MergeMetadata { entries } => {
                next.metadata.extend(entries);
                next.updated_at = now_ms;
                self.store
                    .transaction(|| self.write_state(&next).map(drop))?;
                unchanged(next)
            }
        }
    }

    /// [`apply`](Self::apply) for a signed request: an exact replay of a request already
    /// applied (same signature) is refused with `REQUEST_REPLAYED`, whatever it asked.
    pub fn apply_request(
        &self,
        tenant: &str,
        request_id: &str,
        command: Command,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        // Before `apply`, which reads the state once; a never-started object has no table.
        let seen = match self.store.query(
            "SELECT 1 AS seen FROM applied_requests WHERE request_id = ?",
            &[request_id.into()],
        ) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => return Err(DomainError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !seen.is_empty() {
            return Err(DomainError::conflict(
                "REQUEST_REPLAYED",
                "this exact request was already applied; sign a new one",
            ));
        }
        let applied = self.apply(tenant, command, now_ms)?;
        // No await between the two writes: on the platform they commit together.
        self.store.execute(
            "INSERT INTO applied_requests (request_id, at) VALUES (?, ?)",
            &[request_id.into(), now_ms.into()],
        )?;
        Ok(applied)
    }

    pub fn get(&self, tenant: &str) -> Result<IncidentView, DomainError> {
        let incident = self.owned_state(tenant)?;
        self.view(incident)
    }

    /// What the incident agent reads: the incident (services, affection and metadata included)
    /// and every event. Workflows call it on the incident's behalf, so it takes no tenant; it
    /// answers for closed incidents too, until the object is finalised.
    pub fn agent_context(&self) -> Result<IncidentView, DomainError> {
        let incident = self.state()?.ok_or(DomainError::NotFound)?;
        self.view(incident)
    }

    fn view(&self, incident: IncidentState) -> Result<IncidentView, DomainError> {
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

    /// The alarm: forward due events to the incident's workflow, re-arming while work remains;
    /// once a closed incident is fully delivered, archive it, start its analysis and delete
    /// the object's storage, in that order.
    pub async fn on_alarm(
        &self,
        workflows: &dyn WorkflowClient,
        analysis: &dyn WorkflowClient,
        archive: &dyn Archive,
        now_ms: i64,
    ) -> Result<AlarmReport, DomainError> {
        let Some(state) = self.state()? else {
            return Ok(AlarmReport::default());
        };
        self.store.execute(
            "DELETE FROM applied_requests WHERE at < ?",
            &[(now_ms - REQUEST_MEMORY_MS).into()],
        )?;
        let forwarder = IncidentForwarder::new(workflows, &self.store, &state.id, now_ms);
        let pass = self.outbox().forward_due(&forwarder, now_ms).await?;
        let mut report = AlarmReport {
            pass,
            ..AlarmReport::default()
        };
        // Dead letters keep the object alive: they stay visible and replayable.
        let drained = || -> Result<bool, SqlError> {
            Ok(!self.outbox().has_pending()? && !self.outbox().has_dead_letters()?)
        };
        if state.status.is_terminal() && drained()? {
            match self.finalize(&state, analysis, archive).await {
                Ok(()) => report.finalized = true,
                Err(e) => {
                    self.store.set_alarm(now_ms + FINALIZE_RETRY_MS)?;
                    report.finalize_error = Some(e);
                }
            }
        }
        Ok(report)
    }

    async fn finalize(
        &self,
        state: &IncidentState,
        analysis: &dyn WorkflowClient,
        archive: &dyn Archive,
    ) -> Result<(), String> {
        let view = self.get(&state.tenant_id).map_err(|e| e.to_string())?;
        archive
            .archive(&view)
            .await
            .map_err(|e| format!("archive: {e}"))?;
        let params = serde_json::json!({ "incident_id": state.id, "tenant_id": state.tenant_id });
        analysis
            .create(&format!("analysis-{}", state.id), &params)
            .await
            .map_err(|e| format!("analysis: {e}"))?;
        self.store.delete_all().map_err(|e| format!("delete: {e}"))
    }
}
