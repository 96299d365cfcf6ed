//! The public page as plain data: what the renderers take and the store loads. Every field
//! here is public; the internal incident never reaches this module.

use incidentd_core::model::{AffectionStatus, Impact};

/// One tenant's status page, as of the moment it was loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicPage {
    pub slug: String,
    pub title: String,
    /// The page's absolute URL (`<origin>/status/<slug>`), for links and feed ids.
    pub url: String,
    /// The public services, in display order.
    pub services: Vec<PublicService>,
    /// Active incidents and those resolved within the history window, in any order (the
    /// renderers sort).
    pub incidents: Vec<PublicIncident>,
    /// Unix ms when the page itself last changed (its title or slug, the services it may show)
    /// or any of its incidents did, including those past the history window.
    pub changed_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicService {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicIncident {
    /// The public id (never the internal incident id).
    pub id: String,
    pub title: String,
    pub status: AffectionStatus,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    /// The public services it affects (hidden services are left out), with its impact.
    pub affected: Vec<AffectedPublicService>,
    /// Its updates, in any order (see [`PublicIncident::updates_newest_first`]).
    pub updates: Vec<PublicUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedPublicService {
    pub id: String,
    pub name: String,
    pub impact: Impact,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUpdate {
    pub id: String,
    pub status: AffectionStatus,
    pub message: String,
    pub at: i64,
}

impl PublicIncident {
    pub fn is_active(&self) -> bool {
        self.status != AffectionStatus::Resolved
    }

    /// Updates newest first; ties (same millisecond) by id, so the order is stable.
    pub fn updates_newest_first(&self) -> Vec<&PublicUpdate> {
        let mut updates: Vec<&PublicUpdate> = self.updates.iter().collect();
        updates.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        updates
    }

    /// The worst impact on any of its public services.
    pub fn worst_impact(&self) -> Option<Impact> {
        self.affected
            .iter()
            .map(|a| a.impact)
            .max_by_key(|i| severity(*i))
    }
}

impl PublicPage {
    /// Active incidents, most recently updated first.
    pub fn active_incidents(&self) -> Vec<&PublicIncident> {
        let mut active: Vec<&PublicIncident> =
            self.incidents.iter().filter(|i| i.is_active()).collect();
        active.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        active
    }

    /// Resolved incidents (within the window the page was loaded with), most recently
    /// resolved first.
    pub fn resolved_incidents(&self) -> Vec<&PublicIncident> {
        let mut resolved: Vec<&PublicIncident> =
            self.incidents.iter().filter(|i| !i.is_active()).collect();
        resolved.sort_by(|a, b| {
            let resolved_at = |i: &PublicIncident| i.resolved_at.unwrap_or(i.updated_at);
            resolved_at(b)
                .cmp(&resolved_at(a))
                .then_with(|| a.id.cmp(&b.id))
        });
        resolved
    }

    /// When anything on the page last changed: never before the page itself did, so a page
    /// without incidents reports its own last change (not 1970).
    pub fn updated_at(&self) -> i64 {
        self.incidents
            .iter()
            .map(|i| i.updated_at)
            .fold(self.changed_at, i64::max)
    }
}

/// Orders impacts: a major outage is worse than a partial one.
pub fn severity(impact: Impact) -> u8 {
    match impact {
        Impact::Partial => 1,
        Impact::Major => 2,
    }
}

/// The status as the page words it.
pub fn status_label(status: AffectionStatus) -> &'static str {
    match status {
        AffectionStatus::Investigating => "Investigating",
        AffectionStatus::Mitigating => "Mitigating",
        AffectionStatus::Resolved => "Resolved",
    }
}
