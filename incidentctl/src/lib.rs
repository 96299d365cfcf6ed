//! A client of the incidentd dashboard API that signs every request. Used by the `incidentctl`
//! binary and by the end-to-end tests.

pub mod args;
pub mod client;
pub mod paths;
pub mod requests;

pub use client::{
    dev_var, nonce, now_millis, now_secs, send_with_headers, Client, Credentials, Reply,
};
pub use paths::INCIDENTS_PATH;

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Rendering replies for a terminal. Everything is tolerant of missing or unexpected fields: a
// reply of a newer server still prints something useful.
// ---------------------------------------------------------------------------------------------

/// The longest free text (message, title) shown on a one-line rendering, in characters.
pub const SUMMARY_WIDTH: usize = 80;

/// A string field, or `-`.
pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// Whitespace runs (newlines included) collapsed to one space, cut to `max` characters with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The first of `keys` that is a string in `data`.
fn pick<'a>(data: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| data.get(*k).and_then(Value::as_str))
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", shorten(text, SUMMARY_WIDTH))
}

/// `→ <to>` with an optional `: "message"` (no message or an empty one shows none).
fn arrow(to: &str, message: Option<&str>) -> String {
    match message.filter(|m| !m.trim().is_empty()) {
        Some(message) => format!("→ {to}: {}", quoted(message)),
        None => format!("→ {to}"),
    }
}

/// `partial`/`major` services as `api:major, db:partial` (ids alone when given as strings).
fn services_list(services: &Value) -> Option<String> {
    let services = services.as_array()?;
    let items: Vec<String> = services
        .iter()
        .map(|s| match s {
            Value::String(id) => id.clone(),
            _ => match (s["id"].as_str(), s["impact"].as_str()) {
                (Some(id), Some(impact)) => format!("{id}:{impact}"),
                (Some(id), None) => id.to_owned(),
                _ => s.to_string(),
            },
        })
        .collect();
    Some(items.join(", "))
}

/// Delivery of a timeline entry: `delivered`, `pending`, `retrying(N)` or `dead-lettered`.
pub fn delivery_state(entry: &Value) -> String {
    let attempts = entry["attempts"].as_u64().unwrap_or(0);
    if entry["dead_lettered"].as_bool() == Some(true) {
        "dead-lettered".to_owned()
    } else if !entry["published_at"].is_null() {
        "delivered".to_owned()
    } else if attempts > 0 {
        format!("retrying({attempts})")
    } else {
        "pending".to_owned()
    }
}

/// A short, human summary of an event's `data` (no raw JSON for the known event types).
pub fn event_summary(event_type: &str, data: &Value) -> String {
    let known = match event_type {
        "INCIDENT_CREATED" => pick(data, &["title"]).map(|title| {
            let mut line = quoted(title);
            if let Some(severity) = pick(data, &["severity"]) {
                line.push_str(&format!(" ({severity})"));
            }
            if let Some(by) = pick(data, &["created_by"]) {
                line.push_str(&format!(" by {by}"));
            }
            line
        }),
        "STATUS_UPDATE" => pick(data, &["status", "to", "new_status"])
            .map(|to| arrow(to, pick(data, &["message"]))),
        "SEVERITY_UPDATE" => pick(data, &["severity", "to", "new_severity"]).map(|to| {
            match pick(data, &["from", "previous", "old_severity"]) {
                Some(from) => format!("{from} → {to}"),
                None => format!("→ {to}"),
            }
        }),
        "ASSIGNEE_UPDATE" => {
            let key = ["assignee", "to", "new_assignee"]
                .into_iter()
                .find(|k| data.get(*k).is_some());
            key.map(|k| match data[k].as_str() {
                Some(who) => format!("→ {who}"),
                None => "→ unassigned".to_owned(),
            })
        }
        "MESSAGE_ADDED" => pick(data, &["message", "text"]).map(|m| shorten(m, SUMMARY_WIDTH)),
        "AFFECTION_UPDATE" => affection_event_summary(data),
        _ => None,
    };
    known.unwrap_or_else(|| match data {
        Value::Null => String::new(),
        other => shorten(&other.to_string(), SUMMARY_WIDTH),
    })
}

/// `AFFECTION_UPDATE` is either the creation (`title`, `services`, `message`) or an update
/// (`message`, optional `status`).
fn affection_event_summary(data: &Value) -> Option<String> {
    let message = pick(data, &["message"]);
    if let Some(title) = pick(data, &["title"]) {
        let mut line = format!("created {}", quoted(title));
        if let Some(services) = services_list(&data["services"]) {
            line.push_str(&format!(" [{services}]"));
        }
        if let Some(message) = message.filter(|m| !m.trim().is_empty()) {
            line.push_str(&format!(": {}", quoted(message)));
        }
        return Some(line);
    }
    match (pick(data, &["status"]), message) {
        (Some(status), message) => Some(arrow(status, message)),
        (None, Some(message)) => Some(quoted(message)),
        (None, None) => None,
    }
}

/// An event id as text (`Value`'s `Display` ignores width, so ids are padded as strings).
fn event_id(entry: &Value) -> String {
    match &entry["event_id"] {
        Value::Null => "?".to_owned(),
        id => id.as_str().map_or_else(|| id.to_string(), str::to_owned),
    }
}

/// One timeline entry on one line: `#<id> <TYPE> <delivery state> <summary>` (no times).
pub fn timeline_line(entry: &Value) -> String {
    let event_type = text(&entry["event_type"]);
    let line = format!(
        "#{:<4} {:<16} {:<13} {}",
        event_id(entry),
        event_type,
        delivery_state(entry),
        event_summary(event_type, &entry["data"])
    );
    line.trim_end().to_owned()
}

/// One dead letter on one line: event id, type, attempts and the last error when present.
pub fn dead_letter_line(entry: &Value) -> String {
    let mut line = format!(
        "#{:<4} {:<16} attempts={}",
        event_id(entry),
        text(&entry["event_type"]),
        entry["attempts"].as_u64().unwrap_or(0)
    );
    if let Some(error) = entry["last_error"].as_str() {
        line.push_str(&format!(
            "  last_error: {}",
            shorten(error, SUMMARY_WIDTH * 2)
        ));
    }
    line
}

/// An incident's affection (`null` or an object) on one line.
pub fn affection_summary(affection: &Value) -> String {
    match affection {
        Value::Null => "none".to_owned(),
        Value::Object(_) => {
            let mut parts = Vec::new();
            if let Some(title) = pick(affection, &["title"]) {
                parts.push(quoted(title));
            }
            if let Some(status) = pick(affection, &["status"]) {
                parts.push(status.to_owned());
            }
            if let Some(services) = services_list(&affection["services"]) {
                parts.push(format!("[{services}]"));
            }
            if parts.is_empty() {
                shorten(&affection.to_string(), SUMMARY_WIDTH)
            } else {
                parts.join(" ")
            }
        }
        other => shorten(&other.to_string(), SUMMARY_WIDTH),
    }
}

/// `show`: the incident's header then its timeline, one event per line.
pub fn render_incident(body: &Value) -> String {
    let i = &body["incident"];
    let assignee = i["assignee"].as_str().unwrap_or("unassigned");
    let mut out = format!(
        "{}\n  id        {}\n  status    {}\n  severity  {}\n  assignee  {}\n  affection {}\ntimeline:\n",
        text(&i["title"]),
        text(&i["id"]),
        text(&i["status"]),
        text(&i["severity"]),
        assignee,
        affection_summary(&i["affection"]),
    );
    let timeline = body["timeline"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if timeline.is_empty() {
        out.push_str("  (empty)\n");
    }
    for entry in timeline {
        out.push_str("  ");
        out.push_str(&timeline_line(entry));
        out.push('\n');
    }
    out
}

/// `list`: one incident summary on one line.
pub fn summary_line(summary: &Value) -> String {
    format!(
        "{}  {:<10} {:<6} {:<12} {}",
        text(&summary["id"]),
        text(&summary["status"]),
        text(&summary["severity"]),
        summary["assignee"].as_str().unwrap_or("-"),
        shorten(text(&summary["title"]), SUMMARY_WIDTH)
    )
    .trim_end()
    .to_owned()
}

/// The outcome of a change (`{incident, event_id, duplicate?}`) as one line: `<what> (event #N)`,
/// `<what>: no change` when `event_id` is null, or the original event of a duplicate message.
pub fn change_line(what: &str, body: &Value) -> String {
    let event = &body["event_id"];
    if body["duplicate"].as_bool() == Some(true) {
        format!("{what}: duplicate, already recorded as event #{event}")
    } else if event.is_null() {
        format!("{what}: no change")
    } else {
        format!("{what} (event #{event})")
    }
}

/// `workflow`: `<instance_id>  <status>` (the status may be a string or `{status, error?}`).
pub fn workflow_line(body: &Value) -> String {
    let status = &body["status"];
    let (state, error) = match status {
        Value::String(s) => (s.as_str(), None),
        _ => (
            text(&status["status"]),
            status.get("error").filter(|e| !e.is_null()),
        ),
    };
    let mut line = format!("{}  {state}", text(&body["instance_id"]));
    if let Some(error) = error {
        let error = error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned);
        line.push_str(&format!("  error: {}", shorten(&error, SUMMARY_WIDTH * 2)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(event_type: &str, data: Value) -> Value {
        json!({
            "event_id": 7,
            "event_type": event_type,
            "data": data,
            "at": 1_700_000_000_000_i64,
            "published_at": 1_700_000_000_500_i64,
            "attempts": 1,
            "dead_lettered": false
        })
    }

    #[test]
    fn renders_incident_created() {
        let line = timeline_line(&entry(
            "INCIDENT_CREATED",
            json!({ "title": "DB down", "severity": "high", "status": "open", "created_by": "alice" }),
        ));
        assert_eq!(
            line,
            r#"#7    INCIDENT_CREATED delivered     "DB down" (high) by alice"#
        );
    }

    #[test]
    fn renders_status_update_with_and_without_message() {
        let with = entry(
            "STATUS_UPDATE",
            json!({ "status": "mitigating", "message": "rolled back" }),
        );
        assert_eq!(
            event_summary("STATUS_UPDATE", &with["data"]),
            r#"→ mitigating: "rolled back""#
        );
        assert!(timeline_line(&with).ends_with(r#"delivered     → mitigating: "rolled back""#));
        let without = json!({ "status": "resolved", "message": "" });
        assert_eq!(event_summary("STATUS_UPDATE", &without), "→ resolved");
        let from_to = json!({ "from": "open", "to": "declined", "message": "dup" });
        assert_eq!(
            event_summary("STATUS_UPDATE", &from_to),
            r#"→ declined: "dup""#
        );
    }

    #[test]
    fn renders_severity_and_assignee_updates() {
        assert_eq!(
            event_summary("SEVERITY_UPDATE", &json!({ "severity": "high" })),
            "→ high"
        );
        assert_eq!(
            event_summary("SEVERITY_UPDATE", &json!({ "from": "low", "to": "high" })),
            "low → high"
        );
        assert_eq!(
            event_summary("ASSIGNEE_UPDATE", &json!({ "assignee": "bob" })),
            "→ bob"
        );
        assert_eq!(
            event_summary("ASSIGNEE_UPDATE", &json!({ "assignee": null })),
            "→ unassigned"
        );
    }

    #[test]
    fn renders_a_message_flattened_and_shortened() {
        let data = json!({ "message": "first line\n  second line", "message_id": "m-1" });
        assert_eq!(
            event_summary("MESSAGE_ADDED", &data),
            "first line second line"
        );
        let long = json!({ "message": "x".repeat(200) });
        let shown = event_summary("MESSAGE_ADDED", &long);
        assert_eq!(shown.chars().count(), SUMMARY_WIDTH);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn renders_affection_creation_and_update() {
        let created = json!({
            "title": "Degraded API",
            "services": [{ "id": "api", "impact": "major" }, { "id": "db", "impact": "partial" }],
            "message": "investigating"
        });
        assert_eq!(
            event_summary("AFFECTION_UPDATE", &created),
            r#"created "Degraded API" [api:major, db:partial]: "investigating""#
        );
        let update = json!({ "message": "fix deployed", "status": "resolved" });
        assert_eq!(
            event_summary("AFFECTION_UPDATE", &update),
            r#"→ resolved: "fix deployed""#
        );
        let message_only = json!({ "message": "still looking" });
        assert_eq!(
            event_summary("AFFECTION_UPDATE", &message_only),
            r#""still looking""#
        );
    }

    #[test]
    fn renders_the_affection_events_as_the_server_stores_them() {
        // `AffectionUpdated`: optional fields are serialized as null on plain updates.
        let created = json!({ "message": "looking", "created_by": "demo-user",
                              "status": "investigating", "title": "API",
                              "services": [{ "id": "api", "impact": "partial" }] });
        assert_eq!(
            event_summary("AFFECTION_UPDATE", &created),
            r#"created "API" [api:partial]: "looking""#
        );
        let update = json!({ "message": "better", "created_by": "demo-user",
                             "status": null, "title": null, "services": null });
        assert_eq!(event_summary("AFFECTION_UPDATE", &update), r#""better""#);
        let message = json!({ "message": "hi", "message_id": "m-1", "user_id": "demo-user" });
        assert_eq!(event_summary("MESSAGE_ADDED", &message), "hi");
    }

    #[test]
    fn falls_back_to_compact_json_for_unknown_shapes() {
        assert_eq!(
            event_summary("SOMETHING_NEW", &json!({ "a": 1 })),
            r#"{"a":1}"#
        );
        assert_eq!(
            event_summary("STATUS_UPDATE", &json!({ "x": true })),
            r#"{"x":true}"#
        );
        assert_eq!(event_summary("SOMETHING_NEW", &Value::Null), "");
    }

    #[test]
    fn renders_the_delivery_state() {
        let mut e = entry("MESSAGE_ADDED", json!({ "message": "hi" }));
        assert_eq!(delivery_state(&e), "delivered");
        e["published_at"] = Value::Null;
        e["attempts"] = json!(0);
        assert_eq!(delivery_state(&e), "pending");
        e["attempts"] = json!(3);
        assert_eq!(delivery_state(&e), "retrying(3)");
        e["dead_lettered"] = json!(true);
        assert_eq!(delivery_state(&e), "dead-lettered");
        assert!(timeline_line(&e).contains(" dead-lettered "));
    }

    #[test]
    fn renders_dead_letters() {
        let mut e = entry("STATUS_UPDATE", json!({}));
        e["attempts"] = json!(10);
        assert_eq!(dead_letter_line(&e), "#7    STATUS_UPDATE    attempts=10");
        e["last_error"] = json!("workflow unavailable\n(503)");
        assert_eq!(
            dead_letter_line(&e),
            "#7    STATUS_UPDATE    attempts=10  last_error: workflow unavailable (503)"
        );
    }

    #[test]
    fn renders_the_incident_header_and_timeline() {
        let body = json!({
            "incident": {
                "id": "inc-1", "title": "DB down", "status": "mitigating", "severity": "high",
                "assignee": null,
                "affection": { "title": "Degraded", "status": "investigating",
                               "services": [{ "id": "api", "impact": "partial" }] }
            },
            "timeline": [
                entry("INCIDENT_CREATED", json!({ "title": "DB down", "severity": "high" })),
                entry("STATUS_UPDATE", json!({ "status": "mitigating", "message": "m" })),
            ]
        });
        let shown = render_incident(&body);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "DB down");
        assert_eq!(lines[1], "  id        inc-1");
        assert_eq!(lines[4], "  assignee  unassigned");
        assert_eq!(
            lines[5],
            r#"  affection "Degraded" investigating [api:partial]"#
        );
        assert_eq!(lines[6], "timeline:");
        assert!(lines[7].starts_with("  #7    INCIDENT_CREATED"));
        assert!(lines[8].ends_with(r#"→ mitigating: "m""#));
        assert!(!shown.contains('{'), "no raw JSON: {shown}");
        assert_eq!(affection_summary(&Value::Null), "none");
    }

    #[test]
    fn renders_change_outcomes() {
        assert_eq!(
            change_line("severity → high", &json!({ "event_id": 4 })),
            "severity → high (event #4)"
        );
        assert_eq!(
            change_line("severity → high", &json!({ "event_id": null })),
            "severity → high: no change"
        );
        assert_eq!(
            change_line(
                "message added",
                &json!({ "event_id": 5, "duplicate": true })
            ),
            "message added: duplicate, already recorded as event #5"
        );
    }

    #[test]
    fn renders_list_and_workflow_lines() {
        let summary = json!({ "id": "inc-1", "status": "open", "severity": "low",
                              "assignee": null, "title": "DB down" });
        assert_eq!(
            summary_line(&summary),
            "inc-1  open       low    -            DB down"
        );
        assert_eq!(
            workflow_line(
                &json!({ "instance_id": "incident-1", "status": { "status": "running" } })
            ),
            "incident-1  running"
        );
        assert_eq!(
            workflow_line(&json!({ "instance_id": "incident-1",
                                   "status": { "status": "errored", "error": "boom" } })),
            "incident-1  errored  error: boom"
        );
        assert_eq!(
            workflow_line(&json!({ "instance_id": "incident-1", "status": "complete" })),
            "incident-1  complete"
        );
    }
}
