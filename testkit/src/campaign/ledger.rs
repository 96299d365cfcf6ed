//! What the scenario asked for and what the object answered: the accepted changes (each
//! must end up in the timeline exactly once), the new prompts (each must get one reply), and
//! the commands refused (each must have written nothing, checked on the spot).

use incidentd_core::model::event_type;
use incidentd_core::{Applied, Command, IncidentCallError};

/// One accepted change: the event the object answered for it.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub incident: String,
    pub event_id: i64,
    pub event_type: &'static str,
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub ids: Vec<String>,
    pub accepted: Vec<Accepted>,
    /// `(incident, prompt id, event id)` of each prompt accepted as new.
    pub prompts: Vec<(String, String, i64)>,
    pub commands: u64,
    pub refused: u64,
    /// Accepted without an event: nothing to change, or a message / prompt id seen before.
    pub unchanged: u64,
    pub violations: Vec<String>,
}

/// The event type an accepted command records.
pub fn event_type_of(command: &Command) -> &'static str {
    match command {
        Command::SetSeverity { .. } => event_type::SEVERITY_UPDATE,
        Command::SetAssignee { .. } => event_type::ASSIGNEE_UPDATE,
        Command::UpdateStatus { .. } => event_type::STATUS_UPDATE,
        Command::AddMessage { .. } => event_type::MESSAGE_ADDED,
        Command::CreateAffection { .. } | Command::UpdateAffection { .. } => {
            event_type::AFFECTION_UPDATE
        }
        Command::AddPrompt { .. } => event_type::PROMPT_ADDED,
        Command::AddSuggestion { .. } => event_type::SUGGESTION_ADDED,
        Command::Triage { .. } | Command::TriageNote { .. } => "TRIAGE",
    }
}

/// The timeline's length and newest event, or `None` once the object deleted its storage.
pub type Snapshot = Option<(usize, i64)>;

impl Ledger {
    /// Records one command's outcome, given the incident's snapshot before and after it.
    pub fn record(
        &mut self,
        id: &str,
        command: &Command,
        outcome: &Result<Applied, IncidentCallError>,
        before: Snapshot,
        after: Snapshot,
    ) {
        self.commands += 1;
        let new_event = match outcome {
            Ok(applied) if !applied.duplicate => applied.event_id,
            _ => None,
        };
        let Some(event_id) = new_event else {
            match outcome {
                Err(_) => self.refused += 1,
                Ok(_) => self.unchanged += 1,
            }
            if before != after {
                self.violations.push(format!(
                    "{id}: {command:?} answered {outcome:?} but the timeline moved from {before:?} to {after:?}"
                ));
            }
            return;
        };
        let expected = before.map(|(len, _)| (len + 1, event_id));
        if after != expected {
            self.violations.push(format!(
                "{id}: {command:?} accepted as event {event_id}, timeline moved from {before:?} to {after:?}"
            ));
        }
        self.accepted.push(Accepted {
            incident: id.to_owned(),
            event_id,
            event_type: event_type_of(command),
        });
        if let Command::AddPrompt { prompt_id, .. } = command {
            self.prompts
                .push((id.to_owned(), prompt_id.clone(), event_id));
        }
    }
}
