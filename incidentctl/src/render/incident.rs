//! An incident: its header and timeline (`show`), its index row (`list`), its declaration
//! (`create`).

use super::events::services_list;
use super::text::{lines_or, quoted, shorten, SUMMARY_WIDTH};
use super::timeline::timeline_line;
use crate::replies::Listed;
use incidentd_core::model::Affection;
use incidentd_core::{IncidentState, IncidentView};
use incidentd_wire::list::IncidentSummary;

/// `show`: the header, then the timeline one event per line.
pub fn render_incident(view: &IncidentView, archived: bool) -> String {
    let i = &view.incident;
    let mut out = format!(
        "{}\n  id        {}\n  status    {}\n  severity  {}\n  assignee  {}\n  affection {}\n",
        i.title,
        i.id,
        i.status.as_str(),
        i.severity.as_str(),
        i.assignee.as_deref().unwrap_or("unassigned"),
        affection_summary(i.affection.as_ref()),
    );
    if archived {
        // Closed and drained: served from the archive, its Durable Object is gone.
        out.push_str("  archived  yes\n");
    }
    out.push_str("timeline:\n");
    if view.timeline.is_empty() {
        out.push_str("  (empty)\n");
    }
    for entry in &view.timeline {
        out.push_str(&format!("  {}\n", timeline_line(entry)));
    }
    out
}

/// `"title" status [api:partial]`, or `none`.
pub fn affection_summary(affection: Option<&Affection>) -> String {
    match affection {
        None => "none".to_owned(),
        Some(a) => format!(
            "{} {} [{}]",
            quoted(&a.title),
            a.status.as_str(),
            services_list(&a.services)
        ),
    }
}

/// `list`: one incident on one line.
pub fn summary_line(summary: &IncidentSummary) -> String {
    format!(
        "{}  {:<10} {:<6} {:<12} {}",
        summary.id,
        summary.status.as_str(),
        summary.severity.as_str(),
        summary.assignee.as_deref().unwrap_or("-"),
        shorten(&summary.title, SUMMARY_WIDTH)
    )
    .trim_end()
    .to_owned()
}

/// `list`: one incident per line, or `no incidents`.
pub fn render_list(reply: &Listed) -> String {
    lines_or(&reply.incidents, "no incidents", summary_line)
}

/// `list`'s note (on stderr) when another page follows: how to ask for it.
pub fn next_page_line(reply: &Listed) -> Option<String> {
    reply.next_cursor.as_ref().map(|cursor| {
        format!("more incidents follow: repeat with --cursor {cursor} (or --all for every page)")
    })
}

/// `create`'s human line: `declared "title" (severity, status)`; `newly` is false when an
/// earlier declaration with the same idempotency key answered.
pub fn declared_line(incident: &IncidentState, newly: bool) -> String {
    format!(
        "{} {} ({}, {})",
        if newly {
            "declared"
        } else {
            "already declared"
        },
        quoted(&incident.title),
        incident.severity.as_str(),
        incident.status.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{lifecycle, Incident, ID};
    use crate::replies::{Declared, Listed, Shown};
    use serde::Deserialize;
    use serde_json::json;

    #[test]
    fn show_renders_the_header_then_each_event_in_order() {
        let view = lifecycle();
        // What the router answers for a live incident: the view itself.
        let shown = Shown::deserialize(&serde_json::to_value(&view).unwrap()).unwrap();
        assert!(!shown.archived);
        let text = render_incident(&shown.view, shown.archived);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..7],
            [
                "Checkout is failing",
                &format!("  id        {ID}"),
                "  status    resolved",
                "  severity  high",
                "  assignee  unassigned",
                r#"  affection "Degraded checkout" mitigating [api:partial]"#,
                "timeline:",
            ]
        );
        assert_eq!(
            lines[7..],
            [
                r#"  #1    INCIDENT_CREATED pending       "Checkout is failing" (low) by demo-user"#,
                "  #2    SEVERITY_UPDATE  pending       → high",
                "  #3    MESSAGE_ADDED    pending       Rolled back the 10:00 deploy",
                r#"  #4    STATUS_UPDATE    pending       → mitigating: "error rate falling""#,
                r#"  #5    AFFECTION_UPDATE pending       created "Degraded checkout" [api:partial]: "We are looking into failed checkouts""#,
                r#"  #6    AFFECTION_UPDATE pending       → mitigating: "A fix is rolling out""#,
                r#"  #7    STATUS_UPDATE    pending       → resolved: "all clear""#,
            ]
        );
        assert!(!text.contains('{'), "no raw JSON:\n{text}");
    }

    #[test]
    fn an_archived_incident_says_so_before_its_timeline() {
        let view = lifecycle();
        // `src/router.rs` `get` for an archived incident.
        let body =
            json!({ "incident": view.incident, "timeline": view.timeline, "archived": true });
        let shown = Shown::deserialize(&body).unwrap();
        assert_eq!(shown.view, view);
        let text = render_incident(&shown.view, shown.archived);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[6..8], ["  archived  yes", "timeline:"]);
        assert!(lines.contains(&"  status    resolved"));
    }

    #[test]
    fn a_new_incident_has_no_affection_and_one_event() {
        let (incident, _) = Incident::declare("DB down");
        let text = render_incident(&incident.view(), false);
        assert!(text.contains("\n  affection none\n"), "{text}");
        assert!(text.ends_with("timeline:\n  #1    INCIDENT_CREATED pending       \"DB down\" (low) by demo-user\n"), "{text}");
    }

    #[test]
    fn create_says_declared_or_already_declared() {
        let (_, state) = Incident::declare("Checkout is failing\nsince 10:02");
        let reply = Declared::deserialize(&json!({ "incident": state })).unwrap();
        assert_eq!(
            declared_line(&reply.incident, true),
            r#"declared "Checkout is failing" (low, open)"#
        );
        assert!(declared_line(&reply.incident, false).starts_with("already declared \""));
    }

    #[test]
    fn list_aligns_one_summary_per_line() {
        let row = IncidentSummary {
            id: "inc-1".into(),
            status: incidentd_core::Status::Open,
            severity: incidentd_core::Severity::Low,
            assignee: None,
            title: "DB down".into(),
            description: "DB down".into(),
            created_at: 1_000,
            updated_at: 2_000,
        };
        let listed =
            Listed::deserialize(&json!({ "incidents": [row], "next_cursor": null })).unwrap();
        assert_eq!(
            summary_line(&listed.incidents[0]),
            "inc-1  open       low    -            DB down"
        );
        let assigned = IncidentSummary {
            assignee: Some("alice".into()),
            ..listed.incidents[0].clone()
        };
        assert_eq!(
            summary_line(&assigned),
            "inc-1  open       low    alice        DB down"
        );
        let empty = Listed {
            incidents: vec![],
            next_cursor: None,
        };
        assert_eq!(render_list(&empty), "no incidents\n");
        assert_eq!(next_page_line(&empty), None);
        let more = Listed {
            next_cursor: Some("abc".into()),
            ..listed
        };
        assert_eq!(
            next_page_line(&more).unwrap(),
            "more incidents follow: repeat with --cursor abc (or --all for every page)"
        );
    }
}
