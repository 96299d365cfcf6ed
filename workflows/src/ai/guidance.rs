//! Service guidance: what a tenant wrote about each of its services for the agent and triage
//! (the `prompt` of `PUT /admin/tenants/:id/services/:service_id`): owners, runbook hints,
//! what to check first. Prompts show the guidance of the incident's services, the most
//! relevant first, within a size budget.
//!
//! It is read from D1 when a prompt is built, not copied into the incident at its declaration:
//! the incident's state travels with every event it forwards and every step that reads it, so
//! a snapshot would carry every service's guidance through the whole pipeline for its one use
//! here; and guidance corrected during an incident (a wrong runbook link) should reach the
//! agent at once. Which services the incident may name stays the declaration's snapshot
//! (`IncidentState::services`): only those services' guidance is shown.

use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_core::model::IncidentState;
use serde::{Deserialize, Serialize};
use sluice::log;
use sluice::sql::{decode_rows, Database, SqlError};
use sluice::workflow::Services;
use std::collections::BTreeMap;

/// Longest guidance shown for one service, and for all of them, in characters (about 250 and
/// 1,000 tokens). The admin API accepts at most [`PER_SERVICE_CHARS`] per service.
pub const PER_SERVICE_CHARS: usize = 1_000;
pub const BUDGET_CHARS: usize = 4_000;

/// One service's guidance, as a prompt shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGuide {
    pub id: String,
    pub name: String,
    pub prompt: String,
}

/// The tenant's guidance by service id (services without any are left out).
pub async fn load(db: &dyn Database, tenant: &str) -> Result<BTreeMap<String, String>, SqlError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        prompt: String,
    }
    let rows = db
        .query(
            "SELECT id, prompt FROM service \
             WHERE tenant_id = ?1 AND prompt IS NOT NULL AND trim(prompt) <> '' ORDER BY id",
            vec![tenant.into()],
        )
        .await?;
    let rows: Vec<Row> = decode_rows(rows)?;
    Ok(rows.into_iter().map(|r| (r.id, r.prompt)).collect())
}

/// The guidance of `incident`'s services, or none when D1 cannot be read: guidance helps the
/// agent, and its absence must not stop it (the failure is logged). `context` is text the
/// prompt is about besides the incident's record (a person's question).
pub async fn for_incident(
    services: &dyn Services,
    incident: &IncidentState,
    context: &str,
) -> Vec<ServiceGuide> {
    if incident.services.is_empty() {
        return Vec::new();
    }
    let loaded = match services.database(INDEX_DATABASE) {
        Ok(db) => load(db.as_ref(), &incident.tenant_id).await,
        Err(e) => Err(e),
    };
    match loaded {
        Ok(prompts) => relevant(incident, context, &prompts),
        Err(e) => {
            log::error(&format!(
                "service guidance for incident {} left out: {e}",
                incident.id
            ));
            Vec::new()
        }
    }
}

/// Whether `text` (lowercase) names `word` as a whole word, ignoring case. Words shorter
/// than three characters match too much to count.
fn mentions(text: &str, word: &str) -> bool {
    let word = word.trim().to_lowercase();
    if word.chars().count() < 3 {
        return false;
    }
    let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
    text.match_indices(&word).any(|(at, _)| {
        boundary(text[..at].chars().next_back()) && boundary(text[at + word.len()..].chars().next())
    })
}

/// The guidance of `incident`'s services, most relevant first: those on its status-page
/// incident, then those its title, description, declaration or `context` name (by id or
/// name), then the others in catalog order.
pub fn relevant(
    incident: &IncidentState,
    context: &str,
    prompts: &BTreeMap<String, String>,
) -> Vec<ServiceGuide> {
    let text = [
        incident.title.as_str(),
        &incident.description,
        &incident.prompt,
        context,
    ]
    .join("\n")
    .to_lowercase();
    let affected = |id: &str| {
        incident
            .affection
            .as_ref()
            .and_then(|a| a.services.iter().position(|s| s.id == id))
    };
    let mut ranked: Vec<(usize, usize, ServiceGuide)> = incident
        .services
        .iter()
        .enumerate()
        .filter_map(|(order, service)| {
            let prompt = prompts.get(&service.id)?;
            let rank = match affected(&service.id) {
                Some(position) => position,
                None if mentions(&text, &service.id) || mentions(&text, &service.name) => {
                    usize::MAX - 1
                }
                None => usize::MAX,
            };
            let guide = ServiceGuide {
                id: service.id.clone(),
                name: service.name.clone(),
                prompt: prompt.clone(),
            };
            Some((rank, order, guide))
        })
        .collect();
    ranked.sort_by_key(|(rank, order, _)| (*rank, *order));
    ranked.into_iter().map(|(_, _, guide)| guide).collect()
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The guidance as a prompt shows it: one `- id (name): text` entry per service, each within
/// [`PER_SERVICE_CHARS`], in order while they fit in [`BUDGET_CHARS`] (the number left out is
/// said); `none` without any.
pub fn render(guides: &[ServiceGuide]) -> String {
    let mut entries = Vec::new();
    let mut used = 0;
    let mut left_out = 0;
    for guide in guides {
        let text = clip(guide.prompt.trim(), PER_SERVICE_CHARS);
        let indented = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n  ");
        let entry = format!("- {} ({}): {indented}", guide.id, guide.name);
        let size = entry.chars().count();
        if used + size > BUDGET_CHARS {
            left_out += 1;
            continue;
        }
        used += size;
        entries.push(entry);
    }
    if left_out > 0 {
        entries.push(format!(
            "({left_out} more with guidance, left out for length)"
        ));
    }
    if entries.is_empty() {
        "none".into()
    } else {
        entries.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_core::model::{AffectedService, Affection, AffectionStatus, Impact, Service};
    use incidentd_core::Status;

    fn incident() -> IncidentState {
        let mut incident = incidentd_core::testing::state("inc", 1, Status::Open, "t");
        incident.title = "Payments timing out".into();
        incident.services = ["api", "checkout", "payments", "search"]
            .iter()
            .map(|id| Service {
                id: (*id).into(),
                name: id.to_ascii_uppercase(),
            })
            .collect();
        incident
    }

    fn prompts(ids: &[&str]) -> BTreeMap<String, String> {
        ids.iter()
            .map(|id| ((*id).to_owned(), format!("guidance for {id}")))
            .collect()
    }

    fn ids(guides: &[ServiceGuide]) -> Vec<&str> {
        guides.iter().map(|g| g.id.as_str()).collect()
    }

    #[test]
    fn affected_services_come_first_then_those_named_then_the_rest() {
        let mut incident = incident();
        incident.affection = Some(Affection {
            title: "t".into(),
            services: vec![AffectedService {
                id: "search".into(),
                impact: Impact::Major,
            }],
            status: AffectionStatus::Investigating,
            updates: 1,
        });
        let all = prompts(&["api", "checkout", "payments", "search", "gone"]);
        let ranked = relevant(&incident, "is Checkout down too?", &all);
        assert_eq!(ids(&ranked), ["search", "checkout", "payments", "api"]);
        // Only services with guidance, and only the incident's.
        assert_eq!(
            ids(&relevant(&incident, "", &prompts(&["api", "gone"]))),
            ["api"]
        );
    }

    #[test]
    fn a_name_counts_only_as_a_whole_word() {
        assert!(mentions("the checkout page", "Checkout"));
        assert!(!mentions("checkouts fail", "checkout"));
        assert!(!mentions("rapid failures", "api"));
        assert!(mentions("(api) 500s", "api"));
        assert!(!mentions("db down", "db"), "too short to count");
    }

    #[test]
    fn rendering_is_bounded_and_says_what_it_left_out() {
        let guide = |id: &str, prompt: String| ServiceGuide {
            id: id.into(),
            name: id.to_ascii_uppercase(),
            prompt,
        };
        assert_eq!(render(&[]), "none");
        let short = guide(
            "api",
            "Owned by #platform.\n\n  Check the gateway first.".into(),
        );
        assert_eq!(
            render(std::slice::from_ref(&short)),
            "- api (API): Owned by #platform.\n  Check the gateway first."
        );
        let long = |id: &str| guide(id, "x".repeat(PER_SERVICE_CHARS + 50));
        let many: Vec<ServiceGuide> = ["a1", "a2", "a3", "a4", "a5"].map(long).into();
        let shown = render(&many);
        assert!(
            shown.chars().count() <= BUDGET_CHARS + 60,
            "{}",
            shown.len()
        );
        assert!(shown.contains("- a1 (A1): xxx"));
        assert!(shown.lines().next().unwrap().ends_with('…'));
        assert!(!shown.contains("- a4 "), "over the budget");
        assert!(shown.ends_with("(2 more with guidance, left out for length)"));
    }
}
