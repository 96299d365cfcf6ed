//! An incident's record as prompts show it: times relative to the declaration, and the
//! timeline one event a line with who made it.

use incidentd_core::IncidentView;

/// `T+hh:mm:ss` after the declaration.
pub fn relative(ms: i64) -> String {
    let s = ms.max(0) / 1_000;
    format!("T+{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// [`relative`], or `never`.
pub fn optional(ms: Option<i64>) -> String {
    ms.map_or_else(|| "never".to_owned(), relative)
}

/// The last `at_most` events, oldest first.
pub fn timeline(view: &IncidentView, at_most: usize) -> String {
    let skip = view.timeline.len().saturating_sub(at_most);
    view.timeline
        .iter()
        .skip(skip)
        .map(|e| {
            let who = e
                .actor
                .as_ref()
                .map(|a| match &a.id {
                    Some(id) => format!("{} {id}", a.kind.as_str()),
                    None => a.kind.as_str().to_owned(),
                })
                .unwrap_or_else(|| "someone".into());
            format!(
                "{} {} by {who}: {}",
                relative(e.at - view.incident.created_at),
                e.event_type,
                e.data
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
