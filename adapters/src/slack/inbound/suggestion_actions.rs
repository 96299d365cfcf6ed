//! What a suggestion's buttons do (`POST /slack/interactions`, an
//! `IncidentAction::Suggestion`), once the route has verified Slack's signature and found the
//! workspace's tenant:
//!
//! - **Apply** applies the suggested change through the typed handle as the person (actor
//!   `slack`) and records which suggestion it was (`SUGGESTION_RESOLVED`), in one commit;
//! - **Dismiss** records it dismissed;
//! - **Edit** answers the suggestion edit modal to open (`blocks::suggestion_edit_modal`),
//!   prefilled with the suggested change: status and message; severity; a status-page update's
//!   message, status and impacts; or the public incident's title, impacts and first update.
//!   Submitting it ([`submit_edit`]) applies the change as edited through the same
//!   path as Apply (`IncidentHandle::apply_edited_suggestion`: one commit of the change and
//!   `SUGGESTION_RESOLVED`, validated as any change is).
//!
//! Only the tenant's own incidents are reachable (the object answers "not found" for another
//! tenant's), and a suggestion is resolved once: a second click is told it was already.
//! Refusals are answers for the person (an ephemeral message), never errors; only an
//! unreachable object is an error, so the route can answer 500 and Slack's user may retry.

use crate::slack::inbound::interactions::{EditedFields, SuggestionChoice};
use crate::slack::outbound::blocks::{escape, suggestion_edit_modal};
use crate::slack::outbound::suggestions::summary;
use incidentd_core::{
    Actor, AffectedService, DomainError, Idempotency, Impact, IncidentCallError, IncidentHandle,
    SuggestedChange, SuggestionOutcome,
};
use incidentd_wire::slack_ids::{self as ids, SuggestionEditContext, SuggestionRef};
use serde_json::{json, Value};
use sluice::object::ObjectNamespace;
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
pub(crate) fn resolved_message(
    change: &SuggestedChange,
    outcome: SuggestionOutcome,
    user: &str,
) -> Value {
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

/// The tenant's handle to the suggestion's incident; a forged or malformed incident id names
/// no object, which is the same refusal as another tenant's.
fn handle_of(
    incidents: &dyn ObjectNamespace,
    tenant: &str,
    incident_id: &str,
) -> Result<IncidentHandle, IncidentCallError> {
    incidents
        .get(incident_id)
        .map(|stub| IncidentHandle::new(stub, tenant))
        .map_err(|_| IncidentCallError::Domain(DomainError::NotFound))
}

/// Handles one suggestion button for `tenant` (the workspace's); `user` is the Slack user who
/// clicked, `trigger_id` the click's (for Edit), `message` the suggestion message's channel
/// and ts (for Edit, to mark it once applied).
pub async fn handle_suggestion(
    incidents: &dyn ObjectNamespace,
    tenant: &str,
    choice: SuggestionChoice,
    suggestion: &SuggestionRef,
    trigger_id: &str,
    message: Option<(String, String)>,
    user: &str,
) -> Result<SuggestionAnswer, SuggestionActionError> {
    let handle = match handle_of(incidents, tenant, &suggestion.incident_id) {
        Ok(handle) => handle,
        Err(e) => return answer_or_error(e),
    };
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
            let context = SuggestionEditContext {
                incident_id: suggestion.incident_id.clone(),
                suggestion_id: suggestion.suggestion_id.clone(),
                message,
            };
            return Ok(
                match suggestion_edit_modal(&context, &found.incident, &change) {
                    Some(view) => SuggestionAnswer::OpenModal {
                        trigger_id: trigger_id.to_owned(),
                        view,
                    },
                    None => SuggestionAnswer::Refused {
                        text: "Nothing to edit: the incident has moved past this suggestion. Dismiss it."
                            .into(),
                    },
                },
            );
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

/// What submitting the suggestion edit modal came to.
#[derive(Clone, Debug, PartialEq)]
pub enum EditAnswer {
    /// Applied as edited: `message` replaces the suggestion's message (at `context.message`).
    Applied { event_id: i64, message: Value },
    /// Nothing done: show `errors` (`(block id, text)`) in the modal.
    Invalid { errors: Vec<(String, String)> },
}

/// The modal's error under the input `(block, _)`.
fn input_error((block, _): (&str, &str), text: &str) -> Vec<(String, String)> {
    vec![(block.to_owned(), text.to_owned())]
}

/// The impacts the person chose: major, then partial; a service chosen under both is an error
/// (it would be ambiguous which to keep).
fn edited_services(fields: &EditedFields) -> Result<Vec<AffectedService>, Vec<(String, String)>> {
    let major = fields.major.iter().flatten();
    let partial = fields.partial.iter().flatten();
    if let Some(both) = partial.clone().find(|id| major.clone().any(|m| m == *id)) {
        return Err(input_error(
            ids::EDIT_PARTIAL,
            &format!("{both} is chosen as a major outage too; choose one impact."),
        ));
    }
    let affected = |impact: Impact| {
        move |id: &String| AffectedService {
            id: id.clone(),
            impact,
        }
    };
    Ok(major
        .map(affected(Impact::Major))
        .chain(partial.map(affected(Impact::Partial)))
        .collect())
}

/// The change the person made of `suggested` with the modal's `fields`; the errors name the
/// inputs to fix.
pub(crate) fn edited_change(
    suggested: &SuggestedChange,
    fields: &EditedFields,
) -> Result<SuggestedChange, Vec<(String, String)>> {
    let required = |value: &Option<String>, input: (&str, &str), what: &str| match value.as_deref()
    {
        Some(value) if !value.is_empty() => Ok(value.to_owned()),
        _ => Err(input_error(input, what)),
    };
    let message = |what: &str| required(&fields.message, ids::EDIT_MESSAGE, what);
    Ok(match suggested {
        SuggestedChange::Status { .. } => SuggestedChange::Status {
            status: fields
                .status
                .ok_or_else(|| input_error(ids::EDIT_STATUS, "Choose the new status."))?,
            message: message("Say what changed.")?,
        },
        SuggestedChange::Severity { .. } => SuggestedChange::Severity {
            severity: fields
                .severity
                .ok_or_else(|| input_error(ids::EDIT_SEVERITY, "Choose a severity."))?,
        },
        SuggestedChange::StatusPageUpdate { .. } => {
            let services = edited_services(fields)?;
            SuggestedChange::StatusPageUpdate {
                message: message("Write the update people will read.")?,
                status: fields.page_status,
                services: (!services.is_empty()).then_some(services),
            }
        }
        SuggestedChange::StatusPageIncident { .. } => {
            let title = required(
                &fields.title,
                ids::EDIT_TITLE,
                "Give the status-page incident a title.",
            )?;
            let services = edited_services(fields)?;
            if services.is_empty() {
                return Err(input_error(
                    ids::EDIT_MAJOR,
                    "Choose at least one affected service.",
                ));
            }
            SuggestedChange::StatusPageIncident {
                title,
                services,
                message: message("Write the first update people will read.")?,
            }
        }
    })
}

/// The input a refusal is shown under: the kind's first.
fn first_input(change: &SuggestedChange) -> &'static str {
    match change {
        SuggestedChange::Status { .. } => ids::EDIT_STATUS.0,
        SuggestedChange::Severity { .. } => ids::EDIT_SEVERITY.0,
        SuggestedChange::StatusPageUpdate { .. } => ids::EDIT_MESSAGE.0,
        SuggestedChange::StatusPageIncident { .. } => ids::EDIT_TITLE.0,
    }
}

/// Applies the suggestion named by `context` as `user` edited it in the modal (`view_id` keys
/// the change: a replayed submission answers the first outcome). Refusals (another tenant's,
/// already resolved, an invalid change by now) are shown in the modal; only an unreachable
/// object is an error.
pub async fn submit_edit(
    incidents: &dyn ObjectNamespace,
    tenant: &str,
    context: &SuggestionEditContext,
    fields: &EditedFields,
    view_id: &str,
    user: &str,
) -> Result<EditAnswer, SuggestionActionError> {
    let refused = |block: &str, e: IncidentCallError| match answer_or_error(e)? {
        SuggestionAnswer::Refused { text } => Ok(EditAnswer::Invalid {
            errors: vec![(block.to_owned(), text)],
        }),
        other => Err(SuggestionActionError(format!(
            "unexpected answer {other:?}"
        ))),
    };
    let handle = match handle_of(incidents, tenant, &context.incident_id) {
        Ok(handle) => handle,
        Err(e) => return refused(ids::EDIT_MESSAGE.0, e),
    };
    let found = match handle.suggestion(&context.suggestion_id).await {
        Ok(found) => found,
        Err(e) => return refused(ids::EDIT_MESSAGE.0, e),
    };
    let suggested = found.suggestion.suggestion.change;
    let change = match edited_change(&suggested, fields) {
        Ok(change) => change,
        Err(errors) => return Ok(EditAnswer::Invalid { errors }),
    };
    let applied = handle
        .apply_edited_suggestion(
            Actor::slack(user),
            &context.suggestion_id,
            change.clone(),
            Idempotency::Key(format!("slack-view:{view_id}")),
        )
        .await;
    match applied {
        Ok(applied) => Ok(EditAnswer::Applied {
            event_id: applied.event_id.unwrap_or_default(),
            message: resolved_message(&change, SuggestionOutcome::Applied, user),
        }),
        Err(e) => refused(first_input(&suggested), e),
    }
}
