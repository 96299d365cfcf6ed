//! `summary.json` in the shape of Atlassian Statuspage's public `summary.json`, so existing
//! status tools read it: page, status indicator, components, and the unresolved incidents
//! with their updates newest first. Our statuses map onto theirs: investigating →
//! `investigating`, mitigating → `identified`, resolved → `resolved`.

use super::model::{PublicIncident, PublicPage};
use super::rollup;
use super::time::rfc3339;
use incidentd_core::model::AffectionStatus;
use serde::Serialize;

#[derive(Serialize)]
struct Summary<'a> {
    page: Page<'a>,
    status: Status,
    components: Vec<Component<'a>>,
    incidents: Vec<Incident<'a>>,
    scheduled_maintenances: [(); 0],
}

#[derive(Serialize)]
struct Page<'a> {
    id: &'a str,
    name: &'a str,
    url: &'a str,
    time_zone: &'static str,
    updated_at: String,
}

#[derive(Serialize)]
struct Status {
    indicator: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct Component<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    position: usize,
    description: Option<&'a str>,
    group: bool,
    group_id: Option<&'a str>,
    only_show_if_degraded: bool,
    page_id: &'a str,
}

#[derive(Serialize)]
struct Incident<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    impact: &'static str,
    created_at: String,
    updated_at: String,
    resolved_at: Option<String>,
    started_at: String,
    shortlink: String,
    page_id: &'a str,
    components: Vec<IncidentComponent<'a>>,
    incident_updates: Vec<Update<'a>>,
}

#[derive(Serialize)]
struct IncidentComponent<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
struct Update<'a> {
    id: &'a str,
    status: &'static str,
    body: &'a str,
    incident_id: &'a str,
    created_at: String,
    updated_at: String,
    display_at: String,
}

/// The Statuspage word for our status.
pub fn statuspage_status(status: AffectionStatus) -> &'static str {
    match status {
        AffectionStatus::Investigating => "investigating",
        AffectionStatus::Mitigating => "identified",
        AffectionStatus::Resolved => "resolved",
    }
}

fn incident<'a>(page: &'a PublicPage, incident: &'a PublicIncident) -> Incident<'a> {
    Incident {
        id: &incident.id,
        name: &incident.title,
        status: statuspage_status(incident.status),
        impact: rollup::incident_impact(incident),
        created_at: rfc3339(incident.created_at),
        updated_at: rfc3339(incident.updated_at),
        resolved_at: incident.resolved_at.map(rfc3339),
        started_at: rfc3339(incident.created_at),
        shortlink: format!("{}#incident-{}", page.url, incident.id),
        page_id: &page.slug,
        components: incident
            .affected
            .iter()
            .map(|a| IncidentComponent {
                id: &a.id,
                name: &a.name,
                status: rollup::ServiceStatus::from_impact(Some(a.impact)).as_str(),
            })
            .collect(),
        incident_updates: incident
            .updates_newest_first()
            .into_iter()
            .map(|u| Update {
                id: &u.id,
                status: statuspage_status(u.status),
                body: &u.message,
                incident_id: &incident.id,
                created_at: rfc3339(u.at),
                updated_at: rfc3339(u.at),
                display_at: rfc3339(u.at),
            })
            .collect(),
    }
}

/// The document, pretty-printed (it is small, and people read it too).
pub fn summary(page: &PublicPage) -> String {
    let indicator = rollup::indicator(page);
    let document = Summary {
        page: Page {
            id: &page.slug,
            name: &page.title,
            url: &page.url,
            time_zone: "Etc/UTC",
            updated_at: rfc3339(page.updated_at()),
        },
        status: Status {
            indicator: indicator.as_str(),
            description: indicator.description(),
        },
        components: page
            .services
            .iter()
            .enumerate()
            .map(|(position, s)| Component {
                id: &s.id,
                name: &s.name,
                status: rollup::service_status(page, &s.id).as_str(),
                position: position + 1,
                description: None,
                group: false,
                group_id: None,
                only_show_if_degraded: false,
                page_id: &page.slug,
            })
            .collect(),
        // As Statuspage's summary does: only the unresolved ones.
        incidents: page
            .active_incidents()
            .into_iter()
            .map(|i| incident(page, i))
            .collect(),
        scheduled_maintenances: [],
    };
    let mut json = serde_json::to_string_pretty(&document).expect("plain data serialises");
    json.push('\n');
    json
}

/// The body of the JSON 404.
pub fn not_found() -> String {
    "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no status page at this address\"}}\n".into()
}
