//! Timeline entries, dead letters and failed effects, one per line, with their delivery state.

use super::events::event_summary;
use super::text::{lines_or, shorten, SUMMARY_WIDTH};
use crate::replies::{DeadLetters, FailedEffects};
use incidentd_core::TimelineEntry;

/// `delivered`, `pending`, `retrying(N)` or `dead-lettered`.
pub fn delivery_state(entry: &TimelineEntry) -> String {
    if entry.dead_lettered {
        "dead-lettered".to_owned()
    } else if entry.published_at.is_some() {
        "delivered".to_owned()
    } else if entry.attempts > 0 {
        format!("retrying({})", entry.attempts)
    } else {
        "pending".to_owned()
    }
}

/// `#<id> <TYPE> <delivery state> <summary>` (no times).
pub fn timeline_line(entry: &TimelineEntry) -> String {
    let line = format!(
        "#{:<4} {:<16} {:<13} {}",
        entry.event_id,
        entry.event_type,
        delivery_state(entry),
        event_summary(&entry.event_type, &entry.data)
    );
    line.trim_end().to_owned()
}

/// `#<id> <TYPE> attempts=N` and the last error when there is one.
pub fn dead_letter_line(entry: &TimelineEntry) -> String {
    let mut line = format!(
        "#{:<4} {:<16} attempts={}",
        entry.event_id, entry.event_type, entry.attempts
    );
    if let Some(error) = &entry.last_error {
        line.push_str(&format!(
            "  last_error: {}",
            shorten(error, SUMMARY_WIDTH * 2)
        ));
    }
    line
}

/// `dead-letters`: one per line, or `no dead letters`.
pub fn render_dead_letters(reply: &DeadLetters) -> String {
    lines_or(&reply.dead_letters, "no dead letters", dead_letter_line)
}

/// `#<id> <effect> retries=N [retry pending]  error: …`.
pub fn failed_effect_line(entry: &incidentd_core::object::FailedEffect) -> String {
    let pending = if entry.retry_pending {
        " retry pending"
    } else {
        ""
    };
    format!(
        "#{:<4} {:<16} retries={}{pending}  error: {}",
        entry.event_id,
        entry.effect,
        entry.retries,
        shorten(&entry.error, SUMMARY_WIDTH * 2)
    )
}

/// `failed-effects`: one per line, or `no failed effects`.
pub fn render_failed_effects(reply: &FailedEffects) -> String {
    lines_or(
        &reply.failed_effects,
        "no failed effects",
        failed_effect_line,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::lifecycle;
    use serde::Deserialize;
    use serde_json::json;

    /// The lifecycle's `STATUS_UPDATE → mitigating`, as the object recorded it (pending).
    fn mitigating() -> TimelineEntry {
        lifecycle().timeline.swap_remove(3)
    }

    #[test]
    fn each_delivery_state_is_named() {
        let mut entry = mitigating();
        assert_eq!(delivery_state(&entry), "pending");
        entry.attempts = 3;
        assert_eq!(delivery_state(&entry), "retrying(3)");
        entry.published_at = Some(entry.at + 500);
        assert_eq!(delivery_state(&entry), "delivered");
        entry.dead_lettered = true;
        assert_eq!(delivery_state(&entry), "dead-lettered");
    }

    #[test]
    fn a_timeline_line_aligns_id_type_state_and_summary() {
        let mut entry = mitigating();
        assert_eq!(
            timeline_line(&entry),
            r#"#4    STATUS_UPDATE    pending       → mitigating: "error rate falling""#
        );
        entry.published_at = Some(entry.at);
        assert_eq!(
            timeline_line(&entry),
            r#"#4    STATUS_UPDATE    delivered     → mitigating: "error rate falling""#
        );
    }

    #[test]
    fn an_unknown_event_type_still_gets_its_line() {
        let mut entry = mitigating();
        entry.event_type = "RUNBOOK_LINKED".into();
        entry.data = serde_json::json!({ "url": "https://r/1" });
        assert_eq!(
            timeline_line(&entry),
            r#"#4    RUNBOOK_LINKED   pending       {"url":"https://r/1"}"#
        );
    }

    #[test]
    fn a_dead_letter_shows_attempts_and_the_last_error_flattened() {
        let mut entry = mitigating();
        entry.attempts = 10;
        entry.dead_lettered = true;
        assert_eq!(
            dead_letter_line(&entry),
            "#4    STATUS_UPDATE    attempts=10"
        );
        entry.last_error = Some("workflow unavailable\n(503)".into());
        assert_eq!(
            dead_letter_line(&entry),
            "#4    STATUS_UPDATE    attempts=10  last_error: workflow unavailable (503)"
        );
    }

    #[test]
    fn the_dead_letter_reply_lists_each_or_says_there_is_none() {
        let mut entry = mitigating();
        entry.attempts = 10;
        entry.dead_lettered = true;
        entry.last_error = Some("503".into());
        // `src/router.rs`: `{"dead_letters": [timeline entry]}`.
        let reply = DeadLetters::deserialize(&json!({ "dead_letters": [entry] })).unwrap();
        assert_eq!(
            render_dead_letters(&reply),
            "#4    STATUS_UPDATE    attempts=10  last_error: 503\n"
        );
        let none = DeadLetters::deserialize(&json!({ "dead_letters": [] })).unwrap();
        assert_eq!(render_dead_letters(&none), "no dead letters\n");
    }

    #[test]
    fn the_failed_effects_reply_lists_each_or_says_there_is_none() {
        // `src/router.rs`: `{"failed_effects": [failed effect]}`.
        let reply = FailedEffects::deserialize(&json!({ "failed_effects": [{
            "event_id": 3, "effect": "webhook", "step": "webhook.incident_created:3",
            "error": "step failed: webhook:\nHTTP 400", "failed_at": 10, "retries": 1,
            "retry_pending": true,
        }] }))
        .unwrap();
        assert_eq!(
            render_failed_effects(&reply),
            "#3    webhook          retries=1 retry pending  error: step failed: webhook: HTTP 400\n"
        );
        let none = FailedEffects::deserialize(&json!({ "failed_effects": [] })).unwrap();
        assert_eq!(render_failed_effects(&none), "no failed effects\n");
    }
}
