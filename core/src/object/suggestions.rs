//! The agent's suggestions in the object's storage: each `SUGGESTION_ADDED` is indexed by its
//! id and its dedupe key (a repeat answers the original, like a repeated message id), and
//! resolving one (apply or dismiss) commits the change and `SUGGESTION_RESOLVED` together.

use super::{IncidentObject, Origin};
use crate::decide::{self, Decision, EventData, StoredSuggestion};
use crate::effects::{SuggestedChange, SuggestionAdded, SuggestionOutcome};
use crate::error::DomainError;
use crate::model::IncidentState;
use crate::view::Applied;
use serde::{Deserialize, Serialize};
use sluice::sql::{SqlError, SqlStore};

/// A suggestion with the incident it belongs to (what an Edit needs to open its modal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionLookup {
    pub incident: IncidentState,
    pub suggestion: StoredSuggestion,
}

#[derive(Deserialize)]
struct SuggestionRow {
    event_id: i64,
    suggestion: String,
    outcome: Option<String>,
}

fn decode(row: SuggestionRow) -> Result<StoredSuggestion, SqlError> {
    let suggestion: SuggestionAdded = serde_json::from_str(&row.suggestion)
        .map_err(|e| SqlError::new(format!("stored suggestion does not decode: {e}")))?;
    let outcome = row
        .outcome
        .map(|o| sluice::json::from_value(&serde_json::Value::String(o)))
        .transpose()
        .map_err(|e| SqlError::new(format!("stored outcome does not decode: {e}")))?;
    Ok(StoredSuggestion {
        suggestion,
        event_id: row.event_id,
        outcome,
    })
}

impl<S: SqlStore> IncidentObject<S> {
    /// The event of an earlier suggestion with this id or this dedupe key, if any.
    pub(super) fn seen_suggestion(
        &self,
        suggestion: &SuggestionAdded,
    ) -> Result<Option<i64>, SqlError> {
        Ok(self
            .store()
            .query(
                "SELECT event_id FROM suggestions WHERE suggestion_id = ? OR dedupe_key = ? LIMIT 1",
                &[
                    suggestion.suggestion_id.trim().into(),
                    suggestion.dedupe_key.trim().into(),
                ],
            )?
            .first()
            .and_then(|r| r.get("event_id"))
            .and_then(serde_json::Value::as_i64))
    }

    /// Indexes a committed `SUGGESTION_ADDED` (inside its commit's transaction).
    pub(super) fn index_suggestion(
        &self,
        suggestion: &SuggestionAdded,
        event_id: i64,
    ) -> Result<(), SqlError> {
        let text = serde_json::to_string(suggestion).map_err(|e| SqlError::new(e.to_string()))?;
        self.store().execute(
            "INSERT INTO suggestions (suggestion_id, dedupe_key, event_id, suggestion) VALUES (?, ?, ?, ?)",
            &[
                suggestion.suggestion_id.as_str().into(),
                suggestion.dedupe_key.as_str().into(),
                event_id.into(),
                text.into(),
            ],
        )
    }

    fn stored_suggestion(&self, suggestion_id: &str) -> Result<Option<StoredSuggestion>, SqlError> {
        let rows = match self.store().query_as::<SuggestionRow>(
            "SELECT event_id, suggestion, outcome FROM suggestions WHERE suggestion_id = ?",
            &[suggestion_id.trim().into()],
        ) {
            Ok(rows) => rows,
            // An object from before suggestions existed has none.
            Err(e) if e.is_missing_table() => return Ok(None),
            Err(e) => return Err(e),
        };
        rows.into_iter().next().map(decode).transpose()
    }

    fn known_suggestion(&self, suggestion_id: &str) -> Result<StoredSuggestion, DomainError> {
        self.stored_suggestion(suggestion_id)?.ok_or_else(|| {
            DomainError::invalid("suggestion_id", "no such suggestion on this incident")
        })
    }

    /// One suggestion and its incident, for `tenant`.
    pub fn suggestion(
        &self,
        tenant: &str,
        suggestion_id: &str,
    ) -> Result<SuggestionLookup, DomainError> {
        let incident = self.owned_state(tenant)?;
        let suggestion = self.known_suggestion(suggestion_id)?;
        Ok(SuggestionLookup {
            incident,
            suggestion,
        })
    }

    /// Applies or dismisses a suggestion as `origin.actor`, once. Applying commits the change
    /// (as if the person had asked for it; `edited` as they rewrote it) and
    /// `SUGGESTION_RESOLVED` naming its event, in one transaction; a refused change writes
    /// nothing and leaves the suggestion open.
    pub fn resolve_suggestion(
        &self,
        origin: &Origin,
        suggestion_id: &str,
        outcome: SuggestionOutcome,
        edited: Option<&SuggestedChange>,
        now_ms: i64,
    ) -> Result<Applied, DomainError> {
        self.idempotent(origin, now_ms, |current| {
            let stored = self.known_suggestion(suggestion_id)?;
            let user = origin.actor.id.clone().unwrap_or_default();
            let resolution = decide::decide_resolution(&current, &stored, outcome, edited, &user)?;
            let mut resolved = resolution.resolved;
            let storage = |e: DomainError| SqlError::new(e.to_string());
            let applied = self.store().transaction(|| {
                let mut state = current.clone();
                if let Some(Decision::Event { next, event }) = resolution.change {
                    let change = self
                        .commit(*next, &event, &origin.actor, now_ms, |_| Ok(()))
                        .map_err(storage)?;
                    resolved.change_event_id = change.event_id;
                    state = change.incident;
                }
                self.commit(
                    state,
                    &EventData::SuggestionResolved(resolved.clone()),
                    &origin.actor,
                    now_ms,
                    |_| {
                        self.store().execute(
                            "UPDATE suggestions SET outcome = ? WHERE suggestion_id = ?",
                            &[
                                outcome.as_str().into(),
                                stored.suggestion.suggestion_id.as_str().into(),
                            ],
                        )
                    },
                )
                .map_err(storage)
            })?;
            Ok(applied)
        })
    }
}
