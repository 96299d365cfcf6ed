//! The Incident's decisions, free of storage: given the current state and a command, what
//! changes and which event records it, or why it is refused. The storage shell
//! (`crate::object`) commits what this decides; tests drive it without SQLite.

use crate::effects::{
    AffectionUpdated, AssigneeUpdated, DetailsUpdated, IncidentCreated, MessageAdded, PromptAdded,
    SeverityUpdated, StatusUpdated, SuggestedChange, SuggestionAdded, SuggestionOutcome,
    SuggestionResolved, TriageNoted,
};
use crate::error::{Conflict, DomainError};
use crate::model::{
    AffectedService, Affection, AffectionStatus, EntryPoint, IncidentState, Service, Severity,
    Source, Status,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest accepted prompt, in characters.
pub const MAX_PROMPT_CHARS: usize = 4_000;
/// Longest accepted or derived title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest accepted message (status, chat, affection), in characters.
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Longest id-like value (assignee, message id, service id), in characters.
pub const MAX_ID_CHARS: usize = 200;
/// Most metadata entries one incident keeps.
pub const MAX_METADATA_ENTRIES: usize = 50;

fn text(field: &str, value: &str, max: usize, allow_empty: bool) -> Result<String, DomainError> {
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

/// A change to an incident, as a receiver or a workflow asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// An update of the public incident. `services` sets the impact of each service it names
    /// (adding those not affected yet); the others keep theirs.
    UpdateAffection {
        message: String,
        status: Option<AffectionStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        services: Option<Vec<AffectedService>>,
        created_by: String,
    },
    /// A question or instruction for the incident agent; `prompt_id` deduplicates.
    AddPrompt {
        prompt: String,
        prompt_id: String,
        user_id: String,
    },
    /// The agent proposes a change (`SUGGESTION_ADDED`); refused when the change would be
    /// refused or change nothing now. The object deduplicates by id and by dedupe key.
    AddSuggestion {
        suggestion: SuggestionAdded,
    },
    /// AI triage's proposal for one field, applied only while the field still holds the value
    /// it was declared with: triage never overrides a change someone made meanwhile.
    Triage {
        proposal: TriageProposal,
    },
    /// Why AI triage left the incident as declared.
    TriageNote {
        message: String,
    },
}

/// One field AI triage proposes, with the value it had at the declaration (`declared*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageProposal {
    /// Page another of the tenant's entry points.
    EntryPoint {
        entry_point_id: String,
        assignee: String,
        declared_entry_point_id: Option<String>,
        declared_assignee: Option<String>,
    },
    Severity {
        severity: Severity,
        declared: Severity,
    },
    Details {
        title: String,
        description: String,
        declared_title: String,
        declared_description: String,
    },
}

impl Command {
    /// Whether a successful command creates a resource (the API answers 201).
    pub fn creates(&self) -> bool {
        matches!(
            self,
            Command::AddMessage { .. }
                | Command::CreateAffection { .. }
                | Command::AddPrompt { .. }
        )
    }
}

pub use crate::events::EventData;

/// What a command decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to change (the same severity again, say): no event, no write.
    Unchanged,
    /// A new state recorded by an event.
    Event {
        next: Box<IncidentState>,
        event: EventData,
    },
    /// A new state without an event (adapter metadata).
    Quiet { next: Box<IncidentState> },
}

/// Declares an incident: its first state and its `INCIDENT_CREATED` data.
pub fn decide_start(
    input: StartIncident,
    now_ms: i64,
) -> Result<(IncidentState, IncidentCreated), DomainError> {
    input.validate()?;
    let prompt = input.prompt.trim().to_owned();
    let title = match input.title.as_deref().map(str::trim) {
        Some(t) => t.to_owned(),
        None => title_from_prompt(&prompt),
    };
    let entry_point = input.entry_point().cloned();
    let state = IncidentState {
        id: input.id,
        tenant_id: input.tenant_id,
        status: Status::Open,
        severity: input.severity.unwrap_or(Severity::Medium),
        title,
        description: prompt.clone(),
        prompt,
        created_by: input.created_by,
        source: input.source,
        assignee: entry_point.as_ref().map(|e| e.assignee.clone()),
        entry_point_id: entry_point.map(|e| e.id),
        services: input.services,
        affection: None,
        metadata: BTreeMap::new(),
        created_at: now_ms,
        updated_at: now_ms,
        last_event_id: 0,
    };
    let created = IncidentCreated::of(&state);
    Ok((state, created))
}

/// A closed incident accepts no more events.
fn refuse_closed(current: &IncidentState) -> Result<(), DomainError> {
    if current.status.is_terminal() {
        return Err(DomainError::conflict(
            Conflict::IncidentClosed,
            format!(
                "the incident is {}; it accepts no more changes",
                current.status.as_str()
            ),
        ));
    }
    Ok(())
}

fn event(next: IncidentState, event: EventData) -> Result<Decision, DomainError> {
    Ok(Decision::Event {
        next: Box::new(next),
        event,
    })
}

/// Decides a command against the current state. Message-id dedupe is the shell's (it needs
/// the index of ids seen); everything else is here.
pub fn decide(current: &IncidentState, command: Command) -> Result<Decision, DomainError> {
    refuse_closed(current)?;
    let mut next = current.clone();
    match command {
        Command::SetSeverity { severity } => {
            if severity == current.severity {
                return Ok(Decision::Unchanged);
            }
            next.severity = severity;
            event(next, EventData::Severity(SeverityUpdated { severity }))
        }
        Command::SetAssignee { assignee } => {
            let assignee = assignee
                .map(|a| text("assignee", &a, MAX_ID_CHARS, false))
                .transpose()?;
            if assignee == current.assignee {
                return Ok(Decision::Unchanged);
            }
            next.assignee = assignee.clone();
            event(next, EventData::Assignee(AssigneeUpdated { assignee }))
        }
        Command::UpdateStatus { status, message } => {
            let message = text("message", &message, MAX_MESSAGE_CHARS, true)?;
            if !current.status.can_move_to(status) {
                return Err(DomainError::conflict(
                    Conflict::InvalidTransition,
                    format!(
                        "cannot move from {} to {}; allowed: open → mitigating, open | mitigating → resolved | declined",
                        current.status.as_str(),
                        status.as_str()
                    ),
                ));
            }
            next.status = status;
            event(next, EventData::Status(StatusUpdated { status, message }))
        }
        Command::AddMessage {
            message,
            message_id,
            user_id,
        } => {
            let data = MessageAdded {
                message: text("message", &message, MAX_MESSAGE_CHARS, false)?,
                message_id: text("message_id", &message_id, MAX_ID_CHARS, false)?,
                user_id: text("user_id", &user_id, MAX_ID_CHARS, false)?,
            };
            event(next, EventData::Message(data))
        }
        Command::AddPrompt {
            prompt,
            prompt_id,
            user_id,
        } => {
            let data = PromptAdded {
                prompt: text("prompt", &prompt, MAX_PROMPT_CHARS, false)?,
                prompt_id: text("prompt_id", &prompt_id, MAX_ID_CHARS, false)?,
                user_id: text("user_id", &user_id, MAX_ID_CHARS, false)?,
            };
            event(next, EventData::Prompt(data))
        }
        Command::AddSuggestion { suggestion } => {
            let suggestion = checked_suggestion(current, suggestion)?;
            event(next, EventData::Suggestion(suggestion))
        }
        Command::Triage { proposal } => decide_triage(current, next, proposal),
        Command::TriageNote { message } => {
            let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
            event(next, EventData::TriageNote(TriageNoted { message }))
        }
        Command::CreateAffection {
            title,
            services,
            message,
            created_by,
        } => {
            if current.affection.is_some() {
                return Err(DomainError::conflict(
                    Conflict::AffectionExists,
                    "the status-page incident exists; post an update instead",
                ));
            }
            let title = text("title", &title, MAX_TITLE_CHARS, false)?;
            let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
            let chosen = known_services(current, services)?;
            next.affection = Some(Affection {
                title: title.clone(),
                services: chosen.clone(),
                status: AffectionStatus::Investigating,
                updates: 1,
            });
            event(
                next,
                EventData::Affection(AffectionUpdated {
                    message,
                    created_by,
                    status: Some(AffectionStatus::Investigating),
                    title: Some(title),
                    services: Some(chosen),
                }),
            )
        }
        Command::UpdateAffection {
            message,
            status,
            services,
            created_by,
        } => {
            let message = text("message", &message, MAX_MESSAGE_CHARS, false)?;
            let Some(affection) = next.affection.as_mut() else {
                return Err(DomainError::conflict(
                    Conflict::NoAffection,
                    "there is no status-page incident yet; create it first",
                ));
            };
            let services = services.map(|s| known_services(current, s)).transpose()?;
            if let Some(status) = status {
                if status <= affection.status {
                    return Err(DomainError::conflict(
                        Conflict::StatusCanOnlyMoveForward,
                        "the status-page status only moves forward: investigating → mitigating → resolved",
                    ));
                }
                affection.status = status;
            }
            for service in services.iter().flatten() {
                match affection.services.iter_mut().find(|s| s.id == service.id) {
                    Some(affected) => affected.impact = service.impact,
                    None => affection.services.push(service.clone()),
                }
            }
            affection.updates += 1;
            event(
                next,
                EventData::Affection(AffectionUpdated {
                    message,
                    created_by,
                    status,
                    title: None,
                    services,
                }),
            )
        }
    }
}

/// The command that makes a suggested change, as `acting_for` (who applies it).
pub fn change_command(change: &SuggestedChange, acting_for: &str) -> Command {
    match change.clone() {
        SuggestedChange::Status { status, message } => Command::UpdateStatus { status, message },
        SuggestedChange::Severity { severity } => Command::SetSeverity { severity },
        SuggestedChange::StatusPageUpdate {
            message,
            status,
            services,
        } => Command::UpdateAffection {
            message,
            status,
            services,
            created_by: acting_for.to_owned(),
        },
        SuggestedChange::StatusPageIncident {
            title,
            services,
            message,
        } => Command::CreateAffection {
            title,
            services,
            message,
            created_by: acting_for.to_owned(),
        },
    }
}

/// A suggestion is accepted only when applying it now would be accepted and change something:
/// the same rules as the change itself, so a suggestion can never offer what would be refused.
fn checked_suggestion(
    current: &IncidentState,
    suggestion: SuggestionAdded,
) -> Result<SuggestionAdded, DomainError> {
    let checked = SuggestionAdded {
        suggestion_id: text(
            "suggestion_id",
            &suggestion.suggestion_id,
            MAX_ID_CHARS,
            false,
        )?,
        dedupe_key: text("dedupe_key", &suggestion.dedupe_key, MAX_ID_CHARS, false)?,
        rationale: suggestion
            .rationale
            .map(|r| text("rationale", &r, MAX_MESSAGE_CHARS, true))
            .transpose()?
            .filter(|r| !r.is_empty()),
        change: suggestion.change,
        from_event_id: suggestion.from_event_id,
        to_event_id: suggestion.to_event_id,
    };
    if checked.from_event_id < 1 || checked.to_event_id < checked.from_event_id {
        return Err(DomainError::invalid(
            "to_event_id",
            "the turn's range must be 1 ≤ from ≤ to",
        ));
    }
    match decide(current, change_command(&checked.change, "agent"))? {
        Decision::Unchanged => Err(DomainError::invalid(
            "change",
            "the suggested change changes nothing now",
        )),
        _ => Ok(checked),
    }
}

/// A suggestion as the Incident object keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StoredSuggestion {
    pub suggestion: SuggestionAdded,
    /// Its `SUGGESTION_ADDED` event.
    pub event_id: i64,
    /// `None` while nobody has applied or dismissed it.
    pub outcome: Option<SuggestionOutcome>,
}

/// What resolving a suggestion means: the change to make first (applying), then the
/// `SUGGESTION_RESOLVED` data (its `change_event_id` is the change's event, once committed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub change: Option<Decision>,
    pub resolved: SuggestionResolved,
}

/// Applies or dismisses a stored suggestion, once. Applying decides the change exactly as if
/// `user_id` had asked for it (an invalid transition by now is refused, nothing written);
/// `edited` is the change as the person rewrote it, which keeps the suggestion's kind.
pub fn decide_resolution(
    current: &IncidentState,
    stored: &StoredSuggestion,
    outcome: SuggestionOutcome,
    edited: Option<&SuggestedChange>,
    user_id: &str,
) -> Result<Resolution, DomainError> {
    let user_id = text("user_id", user_id, MAX_ID_CHARS, false)?;
    if let Some(earlier) = stored.outcome {
        return Err(DomainError::conflict(
            Conflict::SuggestionAlreadyResolved,
            format!("this suggestion was {} already", earlier.as_str()),
        ));
    }
    let suggested = &stored.suggestion.change;
    let change = match (outcome, edited) {
        (SuggestionOutcome::Applied, None) => {
            Some(decide(current, change_command(suggested, &user_id))?)
        }
        (SuggestionOutcome::Applied, Some(edited))
            if std::mem::discriminant(edited) == std::mem::discriminant(suggested) =>
        {
            Some(decide(current, change_command(edited, &user_id))?)
        }
        (SuggestionOutcome::Applied, Some(_)) => {
            return Err(DomainError::invalid(
                "edited",
                "an edited suggestion keeps its kind (status, severity, status-page update or status-page incident)",
            ))
        }
        (SuggestionOutcome::Dismissed, Some(_)) => {
            return Err(DomainError::invalid(
                "edited",
                "only an applied suggestion can be edited",
            ))
        }
        // Dismissing records an event too, so it is refused once the incident is closed.
        (SuggestionOutcome::Dismissed, None) => {
            refuse_closed(current)?;
            None
        }
    };
    Ok(Resolution {
        change,
        resolved: SuggestionResolved {
            suggestion_id: stored.suggestion.suggestion_id.clone(),
            outcome,
            user_id,
            change_event_id: None,
        },
    })
}

/// A triage proposal: `Unchanged` when the field no longer holds its declared value (someone
/// changed it: their choice stands) or already holds the proposal; else the ordinary event of
/// that field. The proposal is validated like any change.
fn decide_triage(
    current: &IncidentState,
    mut next: IncidentState,
    proposal: TriageProposal,
) -> Result<Decision, DomainError> {
    match proposal {
        TriageProposal::EntryPoint {
            entry_point_id,
            assignee,
            declared_entry_point_id,
            declared_assignee,
        } => {
            let entry_point_id = text("entry_point_id", &entry_point_id, MAX_ID_CHARS, false)?;
            let assignee = text("assignee", &assignee, MAX_ID_CHARS, false)?;
            let untouched = current.entry_point_id == declared_entry_point_id
                && current.assignee == declared_assignee;
            if !untouched || current.entry_point_id.as_deref() == Some(entry_point_id.as_str()) {
                return Ok(Decision::Unchanged);
            }
            next.entry_point_id = Some(entry_point_id);
            next.assignee = Some(assignee.clone());
            event(
                next,
                EventData::Assignee(AssigneeUpdated {
                    assignee: Some(assignee),
                }),
            )
        }
        TriageProposal::Severity { severity, declared } => {
            if current.severity != declared || current.severity == severity {
                return Ok(Decision::Unchanged);
            }
            next.severity = severity;
            event(next, EventData::Severity(SeverityUpdated { severity }))
        }
        TriageProposal::Details {
            title,
            description,
            declared_title,
            declared_description,
        } => {
            let title = text("title", &title, MAX_TITLE_CHARS, false)?;
            let description = text("description", &description, MAX_PROMPT_CHARS, false)?;
            let untouched =
                current.title == declared_title && current.description == declared_description;
            if !untouched || (current.title == title && current.description == description) {
                return Ok(Decision::Unchanged);
            }
            next.title = title.clone();
            next.description = description.clone();
            event(
                next,
                EventData::Details(DetailsUpdated { title, description }),
            )
        }
    }
}

/// Adapter bookkeeping (a Slack channel id, say): merged key by key, no event. Allowed after
/// the close too, so a sender that ran late can still record what it made.
pub fn decide_metadata(
    current: &IncidentState,
    entries: BTreeMap<String, String>,
) -> Result<Decision, DomainError> {
    for (key, value) in &entries {
        text("metadata key", key, MAX_ID_CHARS, false)?;
        text("metadata value", value, MAX_MESSAGE_CHARS, true)?;
    }
    let mut next = current.clone();
    next.metadata.extend(entries);
    if next.metadata.len() > MAX_METADATA_ENTRIES {
        return Err(DomainError::invalid(
            "metadata",
            format!("at most {MAX_METADATA_ENTRIES} entries per incident"),
        ));
    }
    if next.metadata == current.metadata {
        return Ok(Decision::Unchanged);
    }
    Ok(Decision::Quiet {
        next: Box::new(next),
    })
}

/// Known services only, each once (the last impact given wins); at least one.
fn known_services(
    current: &IncidentState,
    services: Vec<AffectedService>,
) -> Result<Vec<AffectedService>, DomainError> {
    let mut chosen: Vec<AffectedService> = Vec::new();
    for service in services {
        if !current.services.iter().any(|s| s.id == service.id) {
            let known: Vec<&str> = current.services.iter().map(|s| s.id.as_str()).collect();
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
    Ok(chosen)
}

#[cfg(test)]
mod triage_tests {
    use super::*;
    use crate::model::event_type;
    use crate::testing::state;

    fn declared() -> IncidentState {
        let mut s = state("inc", 1, Status::Open, "db down");
        s.severity = Severity::Medium;
        s.description = "the primary database is down".into();
        s.assignee = Some("U-FALLBACK".into());
        s.entry_point_id = Some("general".into());
        s
    }

    fn to_dba(declared: &IncidentState) -> Command {
        Command::Triage {
            proposal: TriageProposal::EntryPoint {
                entry_point_id: "dba".into(),
                assignee: "U-DBA".into(),
                declared_entry_point_id: declared.entry_point_id.clone(),
                declared_assignee: declared.assignee.clone(),
            },
        }
    }

    fn to_high(declared: &IncidentState) -> Command {
        Command::Triage {
            proposal: TriageProposal::Severity {
                severity: Severity::High,
                declared: declared.severity,
            },
        }
    }

    fn event_of(decision: Decision) -> (IncidentState, EventData) {
        match decision {
            Decision::Event { next, event } => (*next, event),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn an_untouched_field_takes_the_proposal_with_its_ordinary_event() {
        let at = declared();
        let (next, event) = event_of(decide(&at, to_dba(&at)).unwrap());
        assert_eq!(next.assignee.as_deref(), Some("U-DBA"));
        assert_eq!(next.entry_point_id.as_deref(), Some("dba"));
        assert_eq!(event.event_type(), event_type::ASSIGNEE_UPDATE);
        let (next, event) = event_of(decide(&at, to_high(&at)).unwrap());
        assert_eq!(next.severity, Severity::High);
        assert_eq!(event.event_type(), event_type::SEVERITY_UPDATE);
        let details = Command::Triage {
            proposal: TriageProposal::Details {
                title: "Primary database down".into(),
                description: "Writes fail since 10:02.".into(),
                declared_title: at.title.clone(),
                declared_description: at.description.clone(),
            },
        };
        let (next, event) = event_of(decide(&at, details).unwrap());
        assert_eq!(next.title, "Primary database down");
        assert_eq!(event.event_type(), "DETAILS_UPDATE");
    }

    #[test]
    fn a_field_someone_changed_since_the_declaration_is_left_alone() {
        let at = declared();
        let mut now = at.clone();
        now.severity = Severity::Low; // a person set it meanwhile
        now.assignee = Some("U-ANN".into());
        assert_eq!(decide(&now, to_high(&at)).unwrap(), Decision::Unchanged);
        assert_eq!(decide(&now, to_dba(&at)).unwrap(), Decision::Unchanged);
    }

    #[test]
    fn a_proposal_equal_to_the_current_value_changes_nothing() {
        let mut at = declared();
        at.severity = Severity::High;
        assert_eq!(decide(&at, to_high(&at)).unwrap(), Decision::Unchanged);
    }

    #[test]
    fn a_proposal_is_validated_like_any_change_and_a_closed_incident_refuses_it() {
        let at = declared();
        let long = Command::Triage {
            proposal: TriageProposal::Details {
                title: "x".repeat(MAX_TITLE_CHARS + 1),
                description: "d".into(),
                declared_title: at.title.clone(),
                declared_description: at.description.clone(),
            },
        };
        assert!(matches!(
            decide(&at, long),
            Err(DomainError::Invalid { .. })
        ));
        let mut closed = at.clone();
        closed.status = Status::Resolved;
        assert!(decide(&closed, to_high(&at)).is_err());
    }
}
