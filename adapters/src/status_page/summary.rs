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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_page::store;
    use sluice::native::SqliteDatabase;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn now_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    }

    fn load(db: &SqliteDatabase) -> PublicPage {
        pollster::block_on(store::load(db, "acme", "https://x", now_ms()))
            .unwrap()
            .expect("the page exists")
    }

    fn updated_at(page: &PublicPage) -> String {
        let json: serde_json::Value = serde_json::from_str(&summary(page)).unwrap();
        json["page"]["updated_at"].as_str().unwrap().to_owned()
    }

    #[test]
    fn a_page_without_incidents_reports_when_it_last_changed_not_1970() {
        let db = crate::migrations::migrated();
        let before = now_ms();
        db.apply("INSERT INTO status_page (tenant_id, slug, title) VALUES ('t', 'acme', 'Acme')")
            .unwrap();
        let page = load(&db);
        assert!(page.incidents.is_empty());
        let set_up = page.updated_at();
        // SQLite's clock and this one may differ by a rounding: allow a second either way.
        assert!(
            (before - 1_000..=now_ms() + 1_000).contains(&set_up),
            "{set_up} not near {before}"
        );
        assert_eq!(updated_at(&page), rfc3339(set_up));
        assert!(!updated_at(&page).starts_with("1970"));

        // A new service the page may show is a change of the page.
        std::thread::sleep(std::time::Duration::from_millis(5));
        db.apply("INSERT INTO service (tenant_id, id, name) VALUES ('t', 'api', 'API')")
            .unwrap();
        let after_service = load(&db).updated_at();
        assert!(after_service > set_up, "{after_service} > {set_up}");
        // Another tenant's service is not.
        std::thread::sleep(std::time::Duration::from_millis(5));
        db.apply("INSERT INTO service (tenant_id, id, name) VALUES ('u', 'api', 'API')")
            .unwrap();
        assert_eq!(load(&db).updated_at(), after_service);
    }

    #[test]
    fn an_incident_past_the_history_window_still_dates_the_page() {
        let db = crate::migrations::migrated();
        db.apply(
            "INSERT INTO status_page (tenant_id, slug, title) VALUES ('t', 'acme', 'Acme'); \
             UPDATE status_page SET updated_at = 1000",
        )
        .unwrap();
        let long_ago = now_ms() - (crate::status_page::HISTORY_DAYS + 1) * 86_400_000;
        db.apply(&format!(
            "INSERT INTO status_incident (incident_id, tenant_id, public_id, title, status, created_at, \
             updated_at, resolved_at, event_id) VALUES ('i', 't', 'p', 'Old', 'resolved', {long_ago}, \
             {long_ago}, {long_ago}, 3)"
        ))
        .unwrap();
        let page = load(&db);
        assert!(page.incidents.is_empty(), "outside the window");
        assert_eq!(page.updated_at(), long_ago);
    }
}
