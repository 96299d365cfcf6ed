//! What the page says overall, derived from the active incidents' impacts: each service's
//! current status and the page's indicator. Statuspage documents its words but not its blend,
//! so the rule here is our own, deterministic one:
//!
//! - a service's status is the worst impact any active incident has on it
//!   (`partial` → `partial_outage`, `major` → `major_outage`), else `operational`;
//! - the indicator is `none` without active incidents, `minor` when the worst active impact is
//!   partial (or an active incident names no public service), `major` when it is a major
//!   outage, and `critical` when every public service is in a major outage.

use super::model::{severity, PublicIncident, PublicPage};
use incidentd_core::model::Impact;

/// A service's status, in Statuspage's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceStatus {
    Operational,
    PartialOutage,
    MajorOutage,
}

impl ServiceStatus {
    pub fn from_impact(impact: Option<Impact>) -> Self {
        match impact {
            None => Self::Operational,
            Some(Impact::Partial) => Self::PartialOutage,
            Some(Impact::Major) => Self::MajorOutage,
        }
    }

    /// The `summary.json` component status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
        }
    }

    /// The page's text for it (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            Self::Operational => "Operational",
            Self::PartialOutage => "Partial outage",
            Self::MajorOutage => "Major outage",
        }
    }
}

/// The page's overall state (`status.indicator` of `summary.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indicator {
    None,
    Minor,
    Major,
    Critical,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }

    /// Statuspage's wording for the banner and `status.description`.
    pub fn description(self) -> &'static str {
        match self {
            Self::None => "All Systems Operational",
            Self::Minor => "Partial System Outage",
            Self::Major => "Major System Outage",
            Self::Critical => "Major Service Outage",
        }
    }

    /// The banner's tier (a CSS class): operational, degraded or outage.
    pub fn tier(self) -> &'static str {
        match self {
            Self::None => "operational",
            Self::Minor => "degraded",
            Self::Major | Self::Critical => "outage",
        }
    }
}

/// An incident's `impact` in `summary.json`: none once resolved, else from its worst impact.
pub fn incident_impact(incident: &PublicIncident) -> &'static str {
    if !incident.is_active() {
        return "none";
    }
    match incident.worst_impact() {
        Some(Impact::Major) => "major",
        Some(Impact::Partial) | None => "minor",
    }
}

/// The current status of the public service `service_id`.
pub fn service_status(page: &PublicPage, service_id: &str) -> ServiceStatus {
    let worst = page
        .incidents
        .iter()
        .filter(|i| i.is_active())
        .flat_map(|i| &i.affected)
        .filter(|a| a.id == service_id)
        .map(|a| a.impact)
        .max_by_key(|i| severity(*i));
    ServiceStatus::from_impact(worst)
}

/// The page's indicator, by the rule in this module's documentation.
pub fn indicator(page: &PublicPage) -> Indicator {
    let active: Vec<&PublicIncident> = page.incidents.iter().filter(|i| i.is_active()).collect();
    if active.is_empty() {
        return Indicator::None;
    }
    let statuses: Vec<ServiceStatus> = page
        .services
        .iter()
        .map(|s| service_status(page, &s.id))
        .collect();
    if !statuses.is_empty() && statuses.iter().all(|s| *s == ServiceStatus::MajorOutage) {
        return Indicator::Critical;
    }
    if statuses.contains(&ServiceStatus::MajorOutage) {
        Indicator::Major
    } else {
        Indicator::Minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_page::model::{AffectedPublicService, PublicService};
    use incidentd_core::model::AffectionStatus;

    fn page(incidents: Vec<(AffectionStatus, Vec<(&str, Impact)>)>) -> PublicPage {
        PublicPage {
            slug: "demo".into(),
            title: "Demo".into(),
            url: "http://x/status/demo".into(),
            services: ["api", "checkout"]
                .map(|id| PublicService {
                    id: id.into(),
                    name: id.into(),
                })
                .to_vec(),
            incidents: incidents
                .into_iter()
                .enumerate()
                .map(|(n, (status, affected))| PublicIncident {
                    id: format!("i{n}"),
                    title: "t".into(),
                    status,
                    created_at: 0,
                    updated_at: 0,
                    resolved_at: None,
                    affected: affected
                        .into_iter()
                        .map(|(id, impact)| AffectedPublicService {
                            id: id.into(),
                            name: id.into(),
                            impact,
                        })
                        .collect(),
                    updates: Vec::new(),
                })
                .collect(),
            changed_at: 0,
        }
    }

    #[test]
    fn no_active_incident_is_all_operational_even_after_a_resolved_outage() {
        let page = page(vec![(
            AffectionStatus::Resolved,
            vec![("api", Impact::Major)],
        )]);
        assert_eq!(indicator(&page), Indicator::None);
        assert_eq!(service_status(&page, "api"), ServiceStatus::Operational);
    }

    #[test]
    fn a_service_takes_the_worst_impact_of_its_active_incidents() {
        let page = page(vec![
            (
                AffectionStatus::Investigating,
                vec![("api", Impact::Partial)],
            ),
            (AffectionStatus::Mitigating, vec![("api", Impact::Major)]),
        ]);
        assert_eq!(service_status(&page, "api"), ServiceStatus::MajorOutage);
        assert_eq!(
            service_status(&page, "checkout"),
            ServiceStatus::Operational
        );
        assert_eq!(indicator(&page), Indicator::Major);
    }

    #[test]
    fn partial_impact_is_minor_and_every_service_down_is_critical() {
        let partial = page(vec![(
            AffectionStatus::Investigating,
            vec![("checkout", Impact::Partial)],
        )]);
        assert_eq!(indicator(&partial), Indicator::Minor);
        assert_eq!(indicator(&partial).tier(), "degraded");
        let all_down = page(vec![(
            AffectionStatus::Investigating,
            vec![("api", Impact::Major), ("checkout", Impact::Major)],
        )]);
        assert_eq!(indicator(&all_down), Indicator::Critical);
    }

    #[test]
    fn an_active_incident_naming_no_public_service_is_still_minor() {
        let page = page(vec![(AffectionStatus::Investigating, vec![])]);
        assert_eq!(indicator(&page), Indicator::Minor);
        assert_eq!(incident_impact(&page.incidents[0]), "minor");
    }
}
