//! Slack message `metadata` marking each message incidentd posts with the incident event it
//! is for, so a post whose outcome is unknown (timed out, isolate died) can be looked for in
//! `conversations.history` (with `include_all_metadata=true`) before posting again: Slack has
//! no idempotency key for `chat.postMessage`. Metadata is visible to the workspace: ids only.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `event_type` of incidentd's messages.
pub(crate) const EVENT_TYPE: &str = "incidentd_event";

/// Which event a message is for, and which of that event's messages it is (one event can
/// post several in one channel: a status note and the archive notice, say).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedFor {
    pub incident_id: String,
    pub event_id: i64,
    /// `announcement`, `status_note`, …: see the builders in [`crate::slack::outbound::blocks`].
    pub part: String,
}

impl PostedFor {
    pub fn new(incident_id: &str, event_id: i64, part: &str) -> Self {
        PostedFor {
            incident_id: incident_id.to_owned(),
            event_id,
            part: part.to_owned(),
        }
    }

    /// The `metadata` argument of `chat.postMessage` / `chat.update`.
    pub(crate) fn metadata(&self) -> Value {
        serde_json::json!({ "event_type": EVENT_TYPE, "event_payload": self })
    }

    /// Reads it back from a message of `conversations.history`; `None` for messages without
    /// incidentd's metadata (or listed without `include_all_metadata`).
    pub fn of_message(message: &Value) -> Option<PostedFor> {
        let metadata = &message["metadata"];
        if metadata["event_type"] != EVENT_TYPE {
            return None;
        }
        sluice::json::from_value(&metadata["event_payload"]).ok()
    }

    /// The `ts` of the message already posted for this, in a `conversations.history` (or
    /// `.replies`) answer. Production code matches with [`PostedFor::find_matching`]; this
    /// exact-match form is the tests'.
    #[cfg(test)]
    fn find_in(&self, history: &Value) -> Option<String> {
        PostedFor::find_matching(history, |p| p == self)
    }

    /// The `ts` of the first message of a `conversations.history` (or `.replies`) answer whose
    /// metadata `matches` (any event's post of one part, say).
    pub(crate) fn find_matching(
        history: &Value,
        matches: impl Fn(&PostedFor) -> bool,
    ) -> Option<String> {
        history["messages"]
            .as_array()?
            .iter()
            .find(|m| PostedFor::of_message(m).is_some_and(|p| matches(&p)))
            .and_then(|m| m["ts"].as_str())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_posted_message_is_found_by_its_metadata() {
        let mine = PostedFor::new("inc-1", 4, "status_note");
        let history = json!({ "ok": true, "messages": [
            { "ts": "3.0", "text": "people talking" },
            { "ts": "2.0", "metadata": PostedFor::new("inc-1", 4, "archive_notice").metadata() },
            { "ts": "1.0", "metadata": mine.metadata() },
        ]});
        assert_eq!(mine.find_in(&history).as_deref(), Some("1.0"));
        assert_eq!(
            PostedFor::new("inc-1", 5, "status_note").find_in(&history),
            None
        );
        let short =
            json!({ "messages": [{ "ts": "1.0", "metadata": { "event_type": EVENT_TYPE } }] });
        assert_eq!(
            mine.find_in(&short),
            None,
            "without include_all_metadata nothing matches"
        );
        assert_eq!(
            mine.metadata(),
            json!({ "event_type": "incidentd_event", "event_payload": { "incident_id": "inc-1", "event_id": 4, "part": "status_note" } })
        );
    }
}
