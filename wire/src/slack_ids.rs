//! The identifiers incidentd's Slack surfaces carry and its interaction parser reads back:
//! action ids, block ids, modal callback ids. They are stable: messages already posted in
//! Slack keep them, so renaming one breaks the controls of every open incident.
//!
//! | control | `action_id` | where the incident is |
//! | --- | --- | --- |
//! | severity `static_select` (values `low`, `medium`, `high`) | `incident_severity` | block id |
//! | status `static_select` (values: the allowed next statuses) | `incident_status` | block id |
//! | assignee `users_select` | `incident_assignee` | block id |
//! | suggestion buttons | `suggestion_apply`, `suggestion_edit`, `suggestion_dismiss` | button `value` |
//!
//! The announcement's actions block id is `incident:<incident id>:<event id>`: the incident it
//! controls, and the event that rendered it, so each `chat.update` carries a new block id
//! (Slack asks for one per iteration of a message).

/// The severity select of an incident's announcement.
pub const SEVERITY_SELECT: &str = "incident_severity";
/// The status select of an incident's announcement.
pub const STATUS_SELECT: &str = "incident_status";
/// The assignee select of an incident's announcement.
pub const ASSIGNEE_SELECT: &str = "incident_assignee";

/// Apply a suggestion.
pub const SUGGESTION_APPLY: &str = "suggestion_apply";
/// Edit a suggestion before applying it (opens [`SUGGESTION_EDIT_MODAL`]).
pub const SUGGESTION_EDIT: &str = "suggestion_edit";
/// Dismiss a suggestion.
pub const SUGGESTION_DISMISS: &str = "suggestion_dismiss";

/// The status-change modal (`views.open`): its callback id, and its one input.
pub const STATUS_MODAL: &str = "incident_status_change";
/// The status-change modal's message block.
pub const STATUS_MESSAGE_BLOCK: &str = "status_message";
/// The status-change modal's message input.
pub const STATUS_MESSAGE_INPUT: &str = "status_message_input";

/// The suggestion edit modal (Edit on a suggestion): its callback id, and its inputs (which
/// ones it shows depends on the suggestion's kind), as `(block id, action id)`.
pub const SUGGESTION_EDIT_MODAL: &str = "suggestion_edit";
/// The suggested status.
pub const EDIT_STATUS: (&str, &str) = ("edit_status", "edit_status_select");
/// The suggested severity.
pub const EDIT_SEVERITY: (&str, &str) = ("edit_severity", "edit_severity_select");
/// The suggested message.
pub const EDIT_MESSAGE: (&str, &str) = ("edit_message", "edit_message_input");
/// The suggested status-page affection status.
pub const EDIT_PAGE_STATUS: (&str, &str) = ("edit_page_status", "edit_page_status_select");
/// The suggested status-page title.
pub const EDIT_TITLE: (&str, &str) = ("edit_title", "edit_title_input");
/// The status-page services to mark with a major or a partial outage (`multi_static_select`,
/// values: service ids).
pub const EDIT_MAJOR: (&str, &str) = ("edit_major", "edit_major_select");
/// See [`EDIT_MAJOR`]: the services with a partial outage.
pub const EDIT_PARTIAL: (&str, &str) = ("edit_partial", "edit_partial_select");

use incidentd_core::Status;
use serde::{Deserialize, Serialize};

const INCIDENT_BLOCK_PREFIX: &str = "incident:";

/// The announcement's actions block id.
pub fn incident_block_id(incident_id: &str, event_id: i64) -> String {
    format!("{INCIDENT_BLOCK_PREFIX}{incident_id}:{event_id}")
}

/// The incident id in an [`incident_block_id`].
pub fn incident_of_block_id(block_id: &str) -> Option<&str> {
    let rest = block_id.strip_prefix(INCIDENT_BLOCK_PREFIX)?;
    let (incident_id, event_id) = rest.rsplit_once(':')?;
    event_id.parse::<i64>().ok()?;
    (!incident_id.is_empty()).then_some(incident_id)
}

/// What a suggestion's buttons carry in their `value` (JSON, well under Slack's 2000 chars):
/// enough to find the suggestion without trusting anything else in the payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionRef {
    /// The incident the suggestion belongs to.
    pub incident_id: String,
    /// The suggestion, within that incident.
    pub suggestion_id: String,
}

/// What the suggestion edit modal carries in its `private_metadata` (JSON, well under Slack's
/// 3000 characters): the suggestion, and the message showing it (to mark it applied).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionEditContext {
    /// The incident the suggestion belongs to.
    pub incident_id: String,
    /// The suggestion, within that incident.
    pub suggestion_id: String,
    /// The suggestion message's channel and ts, when the click came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<(String, String)>,
}

impl SuggestionEditContext {
    /// The suggestion this modal edits.
    pub fn suggestion(&self) -> SuggestionRef {
        SuggestionRef {
            incident_id: self.incident_id.clone(),
            suggestion_id: self.suggestion_id.clone(),
        }
    }
}

/// What the status-change modal carries in its `private_metadata` (JSON): the incident and
/// the status chosen in the announcement's select.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeContext {
    /// The incident to change.
    pub incident_id: String,
    /// The status chosen in the announcement's select.
    pub status: Status,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incident_is_read_back_from_the_block_id() {
        let id = incident_block_id("inc-7f3a", 12);
        assert_eq!(id, "incident:inc-7f3a:12");
        assert_eq!(incident_of_block_id(&id), Some("inc-7f3a"));
        assert_eq!(incident_of_block_id("incident:a:b:3"), Some("a:b"));
        for foreign in [
            "incident:x",
            "incident::4",
            "other:inc:1",
            "incident:inc:latest",
        ] {
            assert_eq!(incident_of_block_id(foreign), None, "{foreign}");
        }
    }
}
