//! One-line outcomes: a change, a replay, the workflow's status, a refusal.

use super::text::{shorten, SUMMARY_WIDTH};
use crate::replies::{
    Applied, DismissedEffect, Failed, Replayed, RetriedEffect, Workflow, WorkflowError,
    WorkflowStatus,
};
use incidentd_core::object::LaneView;
use incidentd_wire::slack_install::Connected;

/// A change as `<what> (event #N)`, `<what>: no change` when nothing was written, or the
/// original event of a duplicate message.
pub fn change_line(what: &str, applied: &Applied) -> String {
    match applied.event_id {
        Some(event) if applied.duplicate => {
            format!("{what}: duplicate, already recorded as event #{event}")
        }
        Some(event) => format!("{what} (event #{event})"),
        None => format!("{what}: no change"),
    }
}

/// `slack workspace <team> connected to tenant <tenant> (bot <user>)`.
pub fn slack_connected_line(connected: &Connected) -> String {
    format!(
        "slack workspace {} connected to tenant {} (bot {})",
        connected.team_id, connected.tenant, connected.bot_user_id
    )
}

pub fn replayed_line(reply: &Replayed) -> String {
    format!("replayed event #{}", reply.replayed)
}

/// `retrying <effect> of event #N (round R)`.
pub fn retried_line(reply: &RetriedEffect) -> String {
    let r = &reply.retried;
    format!(
        "retrying {} of event #{} (round {})",
        r.effect, r.event_id, r.round
    )
}

/// `dismissed <effect> of event #N (event #M)`.
pub fn dismissed_line(reply: &DismissedEffect) -> String {
    let d = &reply.dismissed;
    let recorded = d
        .dismissal_event_id
        .map(|id| format!(" (event #{id})"))
        .unwrap_or_default();
    format!(
        "dismissed {} of event #{}: its lane goes on without it{recorded}",
        d.effect, d.event_id
    )
}

/// The instance's line ([`workflow_line`]), then one line per lane: its effect, its state and,
/// when it is not `ok`, what it is doing or held behind.
pub fn render_workflow(reply: &Workflow, now_ms: i64) -> String {
    let mut out = workflow_line(reply);
    out.push('\n');
    let width = reply
        .lanes
        .iter()
        .map(|lane| lane.effect.len())
        .max()
        .unwrap_or(0);
    for lane in &reply.lanes {
        out.push_str(&format!(
            "  {:width$}  {:8}  {}\n",
            lane.effect,
            lane.state,
            lane_detail(lane, now_ms)
        ));
    }
    out
}

fn lane_detail(lane: &LaneView, now_ms: i64) -> String {
    match &lane.summary {
        Some(summary) => {
            let mut detail = shorten(summary, SUMMARY_WIDTH * 2);
            if let Some(at) = lane.next_retry_at {
                let secs = ((at - now_ms).max(0) + 999) / 1000;
                detail.push_str(&format!("; next attempt in {secs} s"));
            }
            detail
        }
        None => match lane.last_delivered {
            Some(event) => format!("delivering; last reported delivery #{event}"),
            None => "delivering".to_owned(),
        },
    }
}

/// `<instance_id>  <status>`, the error of an errored instance, `(archived)` when the
/// incident is served from the archive.
pub fn workflow_line(reply: &Workflow) -> String {
    let (state, error) = match &reply.status {
        WorkflowStatus::Instance { status, error } => (status.clone(), error.as_ref()),
        WorkflowStatus::Word(status) => (status.clone(), None),
        WorkflowStatus::Other(value) => (value.to_string(), None),
    };
    let mut line = format!("{}  {state}", reply.instance_id);
    if let Some(error) = error {
        let error = match error {
            WorkflowError::Named { name, message } => format!("{name}: {message}"),
            WorkflowError::Text(text) => text.clone(),
            WorkflowError::Other(value) => value.to_string(),
        };
        line.push_str(&format!("  error: {}", shorten(&error, SUMMARY_WIDTH * 2)));
    }
    if reply.archived {
        line.push_str("  (archived)");
    }
    line
}

/// A refusal as `<status> <CODE>: <message>`; a body that is not the API's error shape (a proxy's
/// page, say) shows `?`.
pub fn failure_line(status: u16, failed: Option<&Failed>) -> String {
    match failed {
        Some(f) => format!("{status} {}: {}", f.error.code, f.error.message),
        None => format!("{status} ?:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Incident, ID};
    use crate::requests;
    use incidentd_core::{Severity, Status};
    use serde::Deserialize;
    use serde_json::{json, Value};

    /// A change's reply as the client decodes it from the wire.
    fn over_the_wire(applied: Applied) -> Applied {
        Applied::deserialize(&serde_json::to_value(applied).unwrap()).unwrap()
    }

    #[test]
    fn a_change_names_its_event_or_says_nothing_changed() {
        let (incident, _) = Incident::declare("DB down");
        let high = over_the_wire(incident.send(&requests::set_severity(ID, Severity::High)));
        assert_eq!(
            change_line("severity → high", &high),
            "severity → high (event #2)"
        );
        let again = over_the_wire(incident.send(&requests::set_severity(ID, Severity::High)));
        assert_eq!(
            change_line("severity → high", &again),
            "severity → high: no change"
        );
        let status =
            over_the_wire(incident.send(&requests::update_status(ID, Status::Mitigating, "")));
        assert_eq!(status.incident.status, Status::Mitigating);
        assert_eq!(
            change_line("status → mitigating", &status),
            "status → mitigating (event #3)"
        );
    }

    #[test]
    fn a_repeated_message_id_points_at_the_original_event() {
        let (incident, _) = Incident::declare("DB down");
        let message = requests::add_message(ID, "hi", "m-1");
        let first = over_the_wire(incident.send(&message));
        assert_eq!(
            change_line("message m-1 added", &first),
            "message m-1 added (event #2)"
        );
        let repeated = over_the_wire(incident.send(&message));
        assert!(repeated.duplicate);
        assert_eq!(
            change_line("message m-1 added", &repeated),
            "message m-1 added: duplicate, already recorded as event #2"
        );
    }

    #[test]
    fn the_workflow_shows_each_lane_and_why_one_is_held() {
        let body = json!({
            "instance_id": "incident-1", "status": { "status": "running" },
            "lanes": [
                { "effect": "dashboard", "state": "ok", "last_delivered": 4 },
                { "effect": "slack", "state": "held", "event_id": 3,
                  "summary": "held behind slack.incident_created:3 (failed: chat.postMessage: HTTP 503); 2 later event(s) wait",
                  "held_events": [4, 5] },
                { "effect": "webhook", "state": "retrying", "attempt": 2, "attempts": 13,
                  "summary": "retrying webhook.incident_created:1: attempt 2 of 13 failed (HTTP 500)",
                  "next_retry_at": 1_790_000_004_000_i64 },
            ]
        });
        assert_eq!(
            render_workflow(&Workflow::deserialize(&body).unwrap(), 1_790_000_000_500),
            "incident-1  running\n\
             \x20 dashboard  ok        delivering; last reported delivery #4\n\
             \x20 slack      held      held behind slack.incident_created:3 (failed: chat.postMessage: HTTP 503); 2 later event(s) wait\n\
             \x20 webhook    retrying  retrying webhook.incident_created:1: attempt 2 of 13 failed (HTTP 500); next attempt in 4 s\n"
        );
    }

    #[test]
    fn a_dismissal_names_the_effect_and_its_event() {
        let reply = DismissedEffect::deserialize(&json!({ "dismissed": {
            "event_id": 3, "effect": "slack", "dismissal_event_id": 9 } }))
        .unwrap();
        assert_eq!(
            dismissed_line(&reply),
            "dismissed slack of event #3: its lane goes on without it (event #9)"
        );
    }

    #[test]
    fn replay_names_the_event() {
        let reply = Replayed::deserialize(&json!({ "replayed": 12 })).unwrap();
        assert_eq!(replayed_line(&reply), "replayed event #12");
    }

    fn workflow(body: Value) -> String {
        workflow_line(&Workflow::deserialize(&body).unwrap())
    }

    #[test]
    fn the_workflow_line_shows_status_and_error() {
        assert_eq!(
            workflow(json!({ "instance_id": "incident-1", "status": { "status": "running" } })),
            "incident-1  running"
        );
        assert_eq!(
            workflow(json!({ "instance_id": "incident-1",
                             "status": { "status": "errored", "error": "boom\nagain" } })),
            "incident-1  errored  error: boom again"
        );
        assert_eq!(
            workflow(json!({ "instance_id": "incident-1",
                             "status": { "status": "errored",
                                         "error": { "name": "Error", "message": "boom" } } })),
            "incident-1  errored  error: Error: boom"
        );
    }

    #[test]
    fn an_archived_workflow_reply_says_so() {
        assert_eq!(
            workflow(json!({ "instance_id": "incident-1",
                             "status": { "status": "complete" }, "archived": true })),
            "incident-1  complete  (archived)"
        );
        assert_eq!(
            workflow(
                json!({ "instance_id": "incident-1", "status": "complete", "archived": true })
            ),
            "incident-1  complete  (archived)"
        );
    }

    #[test]
    fn a_refusal_shows_status_code_and_message() {
        let failed = Failed::deserialize(
            &json!({ "error": { "code": "INVALID_TRANSITION", "message": "cannot move" } }),
        )
        .unwrap();
        assert_eq!(
            failure_line(409, Some(&failed)),
            "409 INVALID_TRANSITION: cannot move"
        );
        assert_eq!(failure_line(502, None), "502 ?:");
    }
}
