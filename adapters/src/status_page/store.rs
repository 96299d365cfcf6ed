//! The page's D1 tables (migrations/0003_status_page.sql): the dispatcher's idempotent writes
//! and the routes' one-query read.
//!
//! D1 runs one statement at a time here, so each write is idempotent and order-independent
//! on its own: a redelivered, retried or late-replayed event, or a retry after a partial
//! failure, converges on the same rows.

use super::model::{
    AffectedPublicService, PublicIncident, PublicPage, PublicService, PublicUpdate,
};
use super::projection::PublicWrite;
use super::HISTORY_DAYS;
use incidentd_core::model::{AffectionStatus, Impact};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sluice::sql::{decode_rows, Database, SqlError, SqlValue};
use std::collections::BTreeMap;

/// Title and status follow the newest event; `created_at` and `resolved_at` keep the
/// earliest time reported, `updated_at` the latest. (SQLite evaluates every `SET` against the
/// row as it was, so the `CASE`s compare with the old `event_id`.)
const UPSERT_INCIDENT: &str = "INSERT INTO status_incident \
    (incident_id, tenant_id, public_id, title, status, created_at, updated_at, resolved_at, event_id) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8) \
    ON CONFLICT (incident_id) DO UPDATE SET \
        title = CASE WHEN excluded.event_id > status_incident.event_id \
            THEN excluded.title ELSE status_incident.title END, \
        status = CASE WHEN excluded.event_id > status_incident.event_id \
            THEN excluded.status ELSE status_incident.status END, \
        event_id = max(status_incident.event_id, excluded.event_id), \
        created_at = min(status_incident.created_at, excluded.created_at), \
        updated_at = max(status_incident.updated_at, excluded.updated_at), \
        resolved_at = min(coalesce(status_incident.resolved_at, excluded.resolved_at), \
                          coalesce(excluded.resolved_at, status_incident.resolved_at))";

const UPSERT_SERVICES: &str = "INSERT INTO status_incident_service \
    (incident_id, service_id, impact, event_id) VALUES ";
const UPSERT_SERVICES_CONFLICT: &str = " ON CONFLICT (incident_id, service_id) DO UPDATE SET \
    impact = excluded.impact, event_id = excluded.event_id \
    WHERE excluded.event_id > status_incident_service.event_id";

/// The dedupe: one update per (incident, event), whatever the number of deliveries.
const INSERT_UPDATE: &str = "INSERT INTO status_update \
    (incident_id, event_id, tenant_id, status, message, at) VALUES (?, ?, ?, ?, ?, ?) \
    ON CONFLICT (incident_id, event_id) DO NOTHING";

/// Writes one event's public rows: the incident first, so an update never points at nothing.
pub async fn apply(db: &dyn Database, write: &PublicWrite) -> Result<(), SqlError> {
    db.execute(
        UPSERT_INCIDENT,
        vec![
            write.incident_id.as_str().into(),
            write.tenant_id.as_str().into(),
            write.public_id.as_str().into(),
            write.title.as_str().into(),
            write.status.as_str().into(),
            write.at.into(),
            write.resolved_at().into(),
            write.event_id.into(),
        ],
    )
    .await?;
    if !write.services.is_empty() {
        let rows = vec!["(?, ?, ?, ?)"; write.services.len()].join(", ");
        let mut params: Vec<SqlValue> = Vec::with_capacity(4 * write.services.len());
        for service in &write.services {
            params.extend([
                write.incident_id.as_str().into(),
                service.id.as_str().into(),
                service.impact.as_str().into(),
                write.event_id.into(),
            ]);
        }
        db.execute(
            &format!("{UPSERT_SERVICES}{rows}{UPSERT_SERVICES_CONFLICT}"),
            params,
        )
        .await?;
    }
    if let Some((status, message)) = &write.update {
        db.execute(
            INSERT_UPDATE,
            vec![
                write.incident_id.as_str().into(),
                write.event_id.into(),
                write.tenant_id.as_str().into(),
                status.as_str().into(),
                message.as_str().into(),
                write.at.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Everything the page shows, in one round trip: the page row plus its public services, its
/// incidents in the window, their services and their updates as JSON arrays.
const LOAD_PAGE: &str = "WITH shown AS ( \
        SELECT i.* FROM status_incident i JOIN status_page p ON p.tenant_id = i.tenant_id \
        WHERE p.slug = ?1 AND (i.resolved_at IS NULL OR i.resolved_at >= ?2)) \
    SELECT p.title, \
        max(p.updated_at, coalesce((SELECT max(i.updated_at) FROM status_incident i \
            WHERE i.tenant_id = p.tenant_id), 0)) AS changed_at, \
        (SELECT json_group_array(json_object('id', s.id, 'name', s.name)) FROM service s \
            WHERE s.tenant_id = p.tenant_id AND s.public = 1) AS services, \
        (SELECT json_group_array(json_object('incident_id', i.incident_id, 'id', i.public_id, \
            'title', i.title, 'status', i.status, 'created_at', i.created_at, \
            'updated_at', i.updated_at, 'resolved_at', i.resolved_at)) FROM shown i) AS incidents, \
        (SELECT json_group_array(json_object('incident_id', a.incident_id, 'id', a.service_id, \
            'impact', a.impact)) FROM status_incident_service a \
            JOIN shown i ON i.incident_id = a.incident_id) AS affected, \
        (SELECT json_group_array(json_object('incident_id', u.incident_id, 'event_id', u.event_id, \
            'status', u.status, 'message', u.message, 'at', u.at)) FROM status_update u \
            JOIN shown i ON i.incident_id = u.incident_id) AS updates \
    FROM status_page p WHERE p.slug = ?1";

#[derive(Deserialize)]
struct PageRow {
    title: String,
    changed_at: i64,
    services: String,
    incidents: String,
    affected: String,
    updates: String,
}

#[derive(Deserialize)]
struct ServiceRow {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct IncidentRow {
    incident_id: String,
    id: String,
    title: String,
    status: AffectionStatus,
    created_at: i64,
    updated_at: i64,
    resolved_at: Option<i64>,
}

#[derive(Deserialize)]
struct AffectedRow {
    incident_id: String,
    id: String,
    impact: Impact,
}

#[derive(Deserialize)]
struct UpdateRow {
    incident_id: String,
    event_id: i64,
    status: AffectionStatus,
    message: String,
    at: i64,
}

fn parse<T: DeserializeOwned>(column: &str, json: &str) -> Result<Vec<T>, SqlError> {
    serde_json::from_str(json).map_err(|e| SqlError::new(format!("status page {column}: {e}")))
}

/// The page at `slug` as of `now` (unix ms), its URL under `origin` (`https://host`); `None`
/// when no tenant has that slug. Services are ordered by name.
pub async fn load(
    db: &dyn Database,
    slug: &str,
    origin: &str,
    now: i64,
) -> Result<Option<PublicPage>, SqlError> {
    let since = now - HISTORY_DAYS * 86_400_000;
    let rows = db.query(LOAD_PAGE, vec![slug.into(), since.into()]).await?;
    let Some(row) = decode_rows::<PageRow>(rows)?.into_iter().next() else {
        return Ok(None);
    };
    let mut services: Vec<PublicService> = parse::<ServiceRow>("services", &row.services)?
        .into_iter()
        .map(|s| PublicService {
            id: s.id,
            name: s.name,
        })
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    let names: BTreeMap<&str, &str> = services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();

    // Hidden services are dropped here, so no renderer can show them.
    let mut affected: BTreeMap<String, Vec<AffectedPublicService>> = BTreeMap::new();
    for a in parse::<AffectedRow>("affected", &row.affected)? {
        if let Some(name) = names.get(a.id.as_str()) {
            affected
                .entry(a.incident_id)
                .or_default()
                .push(AffectedPublicService {
                    name: (*name).to_owned(),
                    id: a.id,
                    impact: a.impact,
                });
        }
    }
    let mut updates: BTreeMap<String, Vec<PublicUpdate>> = BTreeMap::new();
    let incidents_rows = parse::<IncidentRow>("incidents", &row.incidents)?;
    let public_ids: BTreeMap<&str, &str> = incidents_rows
        .iter()
        .map(|i| (i.incident_id.as_str(), i.id.as_str()))
        .collect();
    for u in parse::<UpdateRow>("updates", &row.updates)? {
        let public = public_ids
            .get(u.incident_id.as_str())
            .copied()
            .unwrap_or_default();
        updates
            .entry(u.incident_id.clone())
            .or_default()
            .push(PublicUpdate {
                id: format!("{public}-{}", u.event_id),
                status: u.status,
                message: u.message,
                at: u.at,
            });
    }
    let incidents = incidents_rows
        .into_iter()
        .map(|i| {
            let mut affected = affected.remove(&i.incident_id).unwrap_or_default();
            affected.sort_by(|a, b| a.name.cmp(&b.name));
            PublicIncident {
                updates: updates.remove(&i.incident_id).unwrap_or_default(),
                affected,
                id: i.id,
                title: i.title,
                status: i.status,
                created_at: i.created_at,
                updated_at: i.updated_at,
                resolved_at: i.resolved_at,
            }
        })
        .collect();
    Ok(Some(PublicPage {
        url: format!("{origin}/status/{slug}"),
        slug: slug.to_owned(),
        title: row.title,
        services,
        incidents,
        changed_at: row.changed_at,
    }))
}
