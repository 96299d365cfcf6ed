//! What a suggestion's buttons do (`POST /slack/interactions`, an
//! `IncidentAction::Suggestion`), once the route has verified Slack's signature and found the
//! workspace's tenant:
//!
//! - **Apply** applies the suggested change through the typed handle as the person (actor
//!   `slack`) and records which suggestion it was (`SUGGESTION_RESOLVED`), in one commit;
//! - **Dismiss** records it dismissed;
//! - **Edit** (a status suggestion) answers the status-change modal to open, prefilled with
//!   the suggested status; submitting it changes the status as any status change does.
//!
//! Only the tenant's own incidents are reachable (the object answers "not found" for another
//! tenant's), and a suggestion is resolved once: a second click is told it was already.
//! Refusals are answers for the person (an ephemeral message), never errors; only an
//! unreachable object is an error, so the route can answer 500 and Slack's user may retry.

use super::blocks::{escape, status_change_modal};
use super::ids::{StatusChangeContext, SuggestionRef};
use super::interactions::SuggestionChoice;
use super::suggestions::summary;
use incidentd_core::{
    Actor, DomainError, Idempotency, IncidentCallError, IncidentHandle, SuggestedChange,
    SuggestionOutcome,
};
use incidentd_runtime::object::ObjectNamespace;
use serde_json::{json, Value};
use std::fmt;

/// What the route answers.
#[derive(Clone, Debug, PartialEq)]
pub enum SuggestionAnswer {
    /// Applied or dismissed: `message` replaces the suggestion's message (a `response_url`
    /// body with `replace_original`), so its buttons go away.
    Resolved {
        outcome: SuggestionOutcome,
        event_id: i64,
        message: Value,
    },
    /// Edit: open `view` with the click's `trigger_id` (`views.open`).
    OpenModal { trigger_id: String, view: Value },
    /// Nothing done; tell the person why (an ephemeral message).
    Refused { text: String },
}

/// The incident object could not be reached, or its storage failed: nothing is known to have
/// changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuggestionActionError(pub String);

impl fmt::Display for SuggestionActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "suggestion action: {}", self.0)
    }
}

impl std::error::Error for SuggestionActionError {}

/// A refusal is an answer; only a failed call is an error.
fn answer_or_error(e: IncidentCallError) -> Result<SuggestionAnswer, SuggestionActionError> {
    let text = match e {
        IncidentCallError::Domain(DomainError::NotFound) => {
            "This suggestion is not about an incident of this workspace (or the incident is closed and archived).".to_owned()
        }
        IncidentCallError::Domain(DomainError::Storage(e)) => {
            return Err(SuggestionActionError(format!("storage: {e}")))
        }
        IncidentCallError::Domain(refusal) => format!("Nothing changed: {refusal}."),
        other => return Err(SuggestionActionError(other.to_string())),
    };
    Ok(SuggestionAnswer::Refused { text })
}

/// The suggestion's message once resolved: what was suggested and who did what with it.
pub fn resolved_message(change: &SuggestedChange, outcome: SuggestionOutcome, user: &str) -> Value {
    let what = escape(&summary(change));
    let done = match outcome {
        SuggestionOutcome::Applied => format!("✅ Applied by <@{user}>"),
        SuggestionOutcome::Dismissed => format!("✖️ Dismissed by <@{user}>"),
    };
    json!({
        "replace_original": true,
        "text": format!("Suggestion: {what} ({})", outcome.as_str()),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("🤖 *Suggestion:* {what}") } },
            { "type": "context", "elements": [{ "type": "mrkdwn", "text": done }] },
        ],
    })
}

/// Handles one suggestion button for `tenant` (the workspace's); `user` is the Slack user who
/// clicked, `trigger_id` the click's (for Edit).
pub async fn handle_suggestion(
    incidents: &dyn ObjectNamespace,
    tenant: &str,
    choice: SuggestionChoice,
    suggestion: &SuggestionRef,
    trigger_id: &str,
    user: &str,
) -> Result<SuggestionAnswer, SuggestionActionError> {
    let stub = match incidents.get(&suggestion.incident_id) {
        Ok(stub) => stub,
        // A forged or malformed incident id names no object.
        Err(_) => return answer_or_error(IncidentCallError::Domain(DomainError::NotFound)),
    };
    let handle = IncidentHandle::new(stub, tenant);
    let found = match handle.suggestion(&suggestion.suggestion_id).await {
        Ok(found) => found,
        Err(e) => return answer_or_error(e),
    };
    let change = found.suggestion.suggestion.change;
    if let Some(earlier) = found.suggestion.outcome {
        return Ok(SuggestionAnswer::Refused {
            text: format!("This suggestion was {} already.", earlier.as_str()),
        });
    }
    let outcome = match choice {
        SuggestionChoice::Apply => SuggestionOutcome::Applied,
        SuggestionChoice::Dismiss => SuggestionOutcome::Dismissed,
        SuggestionChoice::Edit => {
            let SuggestedChange::Status { status, .. } = change else {
                return Ok(SuggestionAnswer::Refused {
                    text: "Only a status suggestion can be edited: apply or dismiss this one."
                        .into(),
                });
            };
            let context = StatusChangeContext {
                incident_id: suggestion.incident_id.clone(),
                status,
            };
            return Ok(SuggestionAnswer::OpenModal {
                trigger_id: trigger_id.to_owned(),
                view: status_change_modal(&context, &found.incident.title),
            });
        }
    };
    let resolved = handle
        .resolve_suggestion(
            Actor::slack(user),
            &suggestion.suggestion_id,
            outcome,
            Idempotency::None,
        )
        .await;
    match resolved {
        Ok(applied) => Ok(SuggestionAnswer::Resolved {
            outcome,
            event_id: applied.event_id.unwrap_or_default(),
            message: resolved_message(&change, outcome, user),
        }),
        Err(e) => answer_or_error(e),
    }
}
