//! The admin API's D1 reads and writes. Writes are [`Statement`]s the worker runs as one D1
//! batch (a transaction), so a request writes all of its rows or none.

use super::error::AdminError;
use super::requests::{parse_date, parse_handoff, parse_zone, Target, ValidService};
use super::rotation::{Override, Rotation};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sluice::sql::{decode_rows, Database, SqlValue};
use std::collections::HashMap;

/// One SQL statement with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<SqlValue>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<SqlValue>) -> Self {
        Self { sql, params }
    }
}

fn failed(what: &str) -> impl Fn(sluice::sql::SqlError) -> AdminError + '_ {
    move |e| AdminError::Failed(format!("{what}: {e}"))
}

async fn rows<T: DeserializeOwned>(
    db: &dyn Database,
    what: &str,
    sql: &str,
    params: Vec<SqlValue>,
) -> Result<Vec<T>, AdminError> {
    let rows = db.query(sql, params).await.map_err(failed(what))?;
    decode_rows(rows).map_err(|e| AdminError::Failed(format!("{what}: {}", e.message)))
}

/// SQLite answers booleans as 0/1: make `field` of each row a JSON boolean.
fn booleans(mut rows: Vec<serde_json::Value>, field: &str) -> Vec<serde_json::Value> {
    for row in &mut rows {
        let flag = row[field].as_i64().is_some_and(|v| v != 0);
        row[field] = serde_json::Value::Bool(flag);
    }
    rows
}

async fn exists(db: &dyn Database, sql: &str, params: Vec<SqlValue>) -> Result<bool, AdminError> {
    let found: Vec<serde_json::Value> = rows(db, "lookup", sql, params).await?;
    Ok(!found.is_empty())
}

pub async fn tenant_exists(db: &dyn Database, tenant: &str) -> Result<bool, AdminError> {
    exists(
        db,
        "SELECT 1 AS x FROM client WHERE id = ?1",
        vec![tenant.into()],
    )
    .await
}

/// [`AdminError::NotFound`] unless the tenant exists.
pub async fn require_tenant(db: &dyn Database, tenant: &str) -> Result<(), AdminError> {
    if tenant_exists(db, tenant).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no tenant {tenant:?}")))
    }
}

pub async fn rotation_exists(
    db: &dyn Database,
    tenant: &str,
    id: &str,
) -> Result<bool, AdminError> {
    exists(
        db,
        "SELECT 1 AS x FROM rotation WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant.into(), id.into()],
    )
    .await
}

pub async fn service_exists(db: &dyn Database, tenant: &str, id: &str) -> Result<bool, AdminError> {
    exists(
        db,
        "SELECT 1 AS x FROM service WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant.into(), id.into()],
    )
    .await
}

/// The tenant owning a status page slug, if any.
pub async fn slug_owner(db: &dyn Database, slug: &str) -> Result<Option<String>, AdminError> {
    #[derive(Deserialize)]
    struct Owner {
        tenant_id: String,
    }
    let owners: Vec<Owner> = rows(
        db,
        "status page",
        "SELECT tenant_id FROM status_page WHERE slug = ?1",
        vec![slug.into()],
    )
    .await?;
    Ok(owners.into_iter().next().map(|o| o.tenant_id))
}

pub fn create_tenant(id: &str, name: &str, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO client (id, name, created_at) VALUES (?1, ?2, ?3)",
        vec![id.into(), name.into(), now_ms.into()],
    )
}

pub fn put_status_page(tenant: &str, slug: &str, title: &str) -> Statement {
    Statement::new(
        "INSERT INTO status_page (tenant_id, slug, title) VALUES (?1, ?2, ?3) \
         ON CONFLICT (tenant_id) DO UPDATE SET slug = excluded.slug, title = excluded.title",
        vec![tenant.into(), slug.into(), title.into()],
    )
}

/// Creates or replaces the service (a field not given is cleared).
pub fn put_service(tenant: &str, id: &str, service: &ValidService, public: bool) -> Statement {
    Statement::new(
        "INSERT INTO service (tenant_id, id, name, description, prompt, public) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, \
         description = excluded.description, prompt = excluded.prompt, public = excluded.public",
        vec![
            tenant.into(),
            id.into(),
            service.name.as_str().into(),
            service.description.as_deref().into(),
            service.prompt.as_deref().into(),
            i64::from(public).into(),
        ],
    )
}

pub fn delete_service(tenant: &str, id: &str) -> Statement {
    Statement::new(
        "DELETE FROM service WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant.into(), id.into()],
    )
}

pub fn put_rotation(tenant: &str, id: &str, rotation: &Rotation) -> Statement {
    let members = serde_json::to_string(&rotation.members).unwrap_or_else(|_| "[]".into());
    Statement::new(
        "INSERT INTO rotation (tenant_id, id, members, shift_hours, handoff_time, time_zone, starts_on) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id, id) DO UPDATE SET \
         members = excluded.members, shift_hours = excluded.shift_hours, \
         handoff_time = excluded.handoff_time, time_zone = excluded.time_zone, \
         starts_on = excluded.starts_on",
        vec![
            tenant.into(),
            id.into(),
            members.into(),
            rotation.shift_hours.into(),
            rotation.handoff.format("%H:%M").to_string().into(),
            rotation.zone.name().into(),
            rotation.starts_on.format("%Y-%m-%d").to_string().into(),
        ],
    )
}

pub fn add_override(tenant: &str, rotation: &str, o: &Override, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO rotation_override (tenant_id, rotation_id, user_id, from_ms, to_ms, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        vec![
            tenant.into(),
            rotation.into(),
            o.user.as_str().into(),
            o.from.timestamp_millis().into(),
            o.to.timestamp_millis().into(),
            now_ms.into(),
        ],
    )
}

/// The tenant's entry points as (id, is_fallback).
async fn entry_point_flags(
    db: &dyn Database,
    tenant: &str,
) -> Result<Vec<(String, bool)>, AdminError> {
    #[derive(Deserialize)]
    struct Flag {
        id: String,
        is_fallback: i64,
    }
    let flags: Vec<Flag> = rows(
        db,
        "entry points",
        "SELECT id, is_fallback FROM entry_point WHERE tenant_id = ?1",
        vec![tenant.into()],
    )
    .await?;
    Ok(flags
        .into_iter()
        .map(|f| (f.id, f.is_fallback != 0))
        .collect())
}

fn fallback_required(message: &str) -> AdminError {
    AdminError::FallbackRequired(message.to_owned())
}

/// The statements setting an entry point: a new fallback unsets the old one in the same
/// batch; unsetting the only fallback is refused, so a tenant with entry points keeps
/// exactly one.
pub async fn put_entry_point(
    db: &dyn Database,
    tenant: &str,
    id: &str,
    target: &Target,
    prompt: &str,
    fallback: bool,
) -> Result<Vec<Statement>, AdminError> {
    let flags = entry_point_flags(db, tenant).await?;
    let current = flags.iter().find(|(_, f)| *f).map(|(id, _)| id.as_str());
    if !fallback && (current.is_none() || current == Some(id)) {
        return Err(fallback_required(
            "the tenant needs one fallback entry point: set fallback true here, or on another entry point first",
        ));
    }
    let (kind, assignee, rotation) = match target {
        Target::User(user) => ("user", Some(user.as_str()), None),
        Target::Rotation(r) => ("rotation", None, Some(r.as_str())),
    };
    let mut batch = Vec::new();
    if fallback {
        batch.push(Statement::new(
            "UPDATE entry_point SET is_fallback = 0 WHERE tenant_id = ?1 AND id <> ?2 AND is_fallback = 1",
            vec![tenant.into(), id.into()],
        ));
    }
    batch.push(Statement::new(
        "INSERT INTO entry_point (tenant_id, id, kind, assignee, rotation_id, prompt, is_fallback) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id, id) DO UPDATE SET \
         kind = excluded.kind, assignee = excluded.assignee, rotation_id = excluded.rotation_id, \
         prompt = excluded.prompt, is_fallback = excluded.is_fallback",
        vec![
            tenant.into(),
            id.into(),
            kind.into(),
            assignee.into(),
            rotation.into(),
            prompt.into(),
            i64::from(fallback).into(),
        ],
    ));
    Ok(batch)
}

/// Deleting the fallback while other entry points remain is refused
/// ([`AdminError::FallbackRequired`]).
pub async fn delete_entry_point(
    db: &dyn Database,
    tenant: &str,
    id: &str,
) -> Result<Statement, AdminError> {
    let flags = entry_point_flags(db, tenant).await?;
    match flags.iter().find(|(e, _)| e == id) {
        None => return Err(AdminError::NotFound(format!("no entry point {id:?}"))),
        Some((_, true)) if flags.len() > 1 => {
            return Err(fallback_required(
                "this is the tenant's fallback entry point: make another one the fallback first",
            ))
        }
        Some(_) => {}
    }
    Ok(Statement::new(
        "DELETE FROM entry_point WHERE tenant_id = ?1 AND id = ?2",
        vec![tenant.into(), id.into()],
    ))
}

#[derive(Deserialize)]
struct RotationRow {
    id: String,
    members: String,
    shift_hours: u32,
    handoff_time: String,
    time_zone: String,
    starts_on: String,
}

#[derive(Deserialize)]
struct OverrideRow {
    rotation_id: String,
    user_id: String,
    from_ms: i64,
    to_ms: i64,
}

impl RotationRow {
    /// `None` for a row this build cannot read (say, a zone no longer compiled in).
    fn rotation(&self) -> Option<Rotation> {
        Some(Rotation {
            members: serde_json::from_str(&self.members).ok()?,
            shift_hours: self.shift_hours,
            handoff: parse_handoff("handoff_time", &self.handoff_time).ok()?,
            zone: parse_zone("time_zone", &self.time_zone).ok()?,
            starts_on: parse_date("starts_on", &self.starts_on).ok()?,
            overrides: Vec::new(),
        })
    }
}

/// The tenant's rotations with their overrides that have not ended by `now_ms`, in creation
/// order. Rows this build cannot read are left out.
pub async fn load_rotations(
    db: &dyn Database,
    tenant: &str,
    now_ms: i64,
) -> Result<HashMap<String, Rotation>, AdminError> {
    let rotation_rows: Vec<RotationRow> = rows(
        db,
        "rotations",
        "SELECT id, members, shift_hours, handoff_time, time_zone, starts_on FROM rotation WHERE tenant_id = ?1",
        vec![tenant.into()],
    )
    .await?;
    let override_rows: Vec<OverrideRow> = rows(
        db,
        "overrides",
        "SELECT rotation_id, user_id, from_ms, to_ms FROM rotation_override \
         WHERE tenant_id = ?1 AND to_ms > ?2 ORDER BY id",
        vec![tenant.into(), now_ms.into()],
    )
    .await?;
    let mut rotations: HashMap<String, Rotation> = rotation_rows
        .iter()
        .filter_map(|row| Some((row.id.clone(), row.rotation()?)))
        .collect();
    for o in override_rows {
        let instant = |ms| DateTime::<Utc>::from_timestamp_millis(ms);
        if let (Some(r), Some(from), Some(to)) = (
            rotations.get_mut(&o.rotation_id),
            instant(o.from_ms),
            instant(o.to_ms),
        ) {
            r.overrides.push(Override {
                user: o.user_id,
                from,
                to,
            });
        }
    }
    Ok(rotations)
}

/// `GET /admin/tenants/:id`: the tenant's configuration, never its secrets.
#[derive(Debug, Serialize)]
pub struct TenantSummary {
    pub id: String,
    pub name: String,
    pub services: Vec<serde_json::Value>,
    pub entry_points: Vec<serde_json::Value>,
    pub rotations: Vec<serde_json::Value>,
    pub status_page: Option<serde_json::Value>,
    /// Whether the tenant signs with its own secret (else the Worker's default).
    pub own_signing_secret: bool,
}

pub async fn summary(
    db: &dyn Database,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Option<TenantSummary>, AdminError> {
    #[derive(Deserialize)]
    struct Client {
        name: String,
    }
    let t = || vec![SqlValue::from(tenant)];
    let Some(client) = rows::<Client>(db, "tenant", "SELECT name FROM client WHERE id = ?1", t())
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let services = booleans(
        rows(
            db,
            "services",
            "SELECT id, name, description, prompt, public = 1 AS public FROM service \
         WHERE tenant_id = ?1 ORDER BY id",
            t(),
        )
        .await?,
        "public",
    );
    let entry_points = booleans(rows(
        db,
        "entry points",
        "SELECT id, kind, assignee, rotation_id, prompt, is_fallback = 1 AS fallback FROM entry_point \
         WHERE tenant_id = ?1 ORDER BY id",
        t(),
    )
    .await?, "fallback");
    let status_page: Vec<serde_json::Value> = rows(
        db,
        "status page",
        "SELECT slug, title FROM status_page WHERE tenant_id = ?1",
        t(),
    )
    .await?;
    let own_signing_secret = exists(
        db,
        "SELECT 1 AS x FROM tenant_secret WHERE tenant_id = ?1",
        t(),
    )
    .await?;
    let mut rotations: Vec<(String, Rotation)> = load_rotations(db, tenant, now.timestamp_millis())
        .await?
        .into_iter()
        .collect();
    rotations.sort_by(|a, b| a.0.cmp(&b.0));
    let rotations = rotations
        .iter()
        .map(|(id, r)| {
            serde_json::json!({
                "id": id,
                "members": r.members,
                "shift_hours": r.shift_hours,
                "handoff_time": r.handoff.format("%H:%M").to_string(),
                "time_zone": r.zone.name(),
                "starts_on": r.starts_on.format("%Y-%m-%d").to_string(),
                "overrides": r.overrides.iter().map(|o| serde_json::json!({
                    "user": o.user, "from": o.from.to_rfc3339(), "to": o.to.to_rfc3339(),
                })).collect::<Vec<_>>(),
                "on_call_now": super::rotation::effective_assignee(r, now),
            })
        })
        .collect();
    Ok(Some(TenantSummary {
        id: tenant.to_owned(),
        name: client.name,
        services,
        entry_points,
        rotations,
        status_page: status_page.into_iter().next(),
        own_signing_secret,
    }))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use sluice::native::SqliteDatabase;

    fn db() -> SqliteDatabase {
        let db = crate::migrations::migrated();
        run(&db, &[create_tenant("t", "T", 0)]);
        db
    }

    fn run(db: &SqliteDatabase, batch: &[Statement]) {
        for s in batch {
            pollster::block_on(db.execute(s.sql, s.params.clone())).unwrap();
        }
    }

    fn put_ep(db: &SqliteDatabase, id: &str, fallback: bool) -> Result<(), AdminError> {
        let batch = pollster::block_on(put_entry_point(
            db,
            "t",
            id,
            &Target::User(format!("U-{id}")),
            "",
            fallback,
        ))?;
        run(db, &batch);
        Ok(())
    }

    fn fallbacks(db: &SqliteDatabase) -> Vec<String> {
        let s = pollster::block_on(summary(db, "t", DateTime::<Utc>::UNIX_EPOCH))
            .unwrap()
            .unwrap();
        s.entry_points
            .iter()
            .filter(|e| {
                e["fallback"] == serde_json::json!(1) || e["fallback"] == serde_json::json!(true)
            })
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_tenant_keeps_exactly_one_fallback() {
        let db = db();
        assert!(
            matches!(
                put_ep(&db, "a", false),
                Err(AdminError::FallbackRequired(_))
            ),
            "the first must be the fallback"
        );
        put_ep(&db, "a", true).unwrap();
        put_ep(&db, "b", false).unwrap();
        assert_eq!(fallbacks(&db), ["a"]);
        assert!(
            matches!(
                put_ep(&db, "a", false),
                Err(AdminError::FallbackRequired(_))
            ),
            "unsetting the only fallback"
        );
        put_ep(&db, "b", true).unwrap();
        assert_eq!(fallbacks(&db), ["b"], "the new fallback unset the old one");
        let refused = pollster::block_on(delete_entry_point(&db, "t", "b")).unwrap_err();
        assert!(matches!(refused, AdminError::FallbackRequired(_)));
        run(
            &db,
            &[pollster::block_on(delete_entry_point(&db, "t", "a")).unwrap()],
        );
        run(
            &db,
            &[pollster::block_on(delete_entry_point(&db, "t", "b")).unwrap()],
        );
        assert!(fallbacks(&db).is_empty());
    }

    #[test]
    fn a_service_prompt_is_stored_shown_and_cleared_by_a_put_without_it() {
        let db = db();
        let service = |prompt: Option<&str>| ValidService {
            name: "Checkout".into(),
            description: None,
            prompt: prompt.map(str::to_owned),
        };
        let shown = |db: &SqliteDatabase| {
            let s = pollster::block_on(summary(db, "t", DateTime::<Utc>::UNIX_EPOCH))
                .unwrap()
                .unwrap();
            s.services[0]["prompt"].clone()
        };
        run(
            &db,
            &[put_service(
                "t",
                "checkout",
                &service(Some("Owned by #payments.")),
                true,
            )],
        );
        assert_eq!(shown(&db), serde_json::json!("Owned by #payments."));
        run(&db, &[put_service("t", "checkout", &service(None), true)]);
        assert_eq!(
            shown(&db),
            serde_json::Value::Null,
            "PUT replaces the service"
        );
    }

    #[test]
    fn rotations_round_trip_with_their_live_overrides() {
        let db = db();
        let rotation = Rotation {
            members: vec!["ann".into(), "bob".into()],
            shift_hours: 24,
            handoff: parse_handoff("h", "09:00").unwrap(),
            zone: parse_zone("z", "America/New_York").unwrap(),
            starts_on: parse_date("d", "2026-01-01").unwrap(),
            overrides: Vec::new(),
        };
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let past = Override {
            user: "old".into(),
            from: at("2026-01-01T00:00:00Z"),
            to: at("2026-01-02T00:00:00Z"),
        };
        let live = Override {
            user: "cover".into(),
            from: at("2026-02-01T00:00:00Z"),
            to: at("2026-02-02T00:00:00Z"),
        };
        run(
            &db,
            &[
                put_rotation("t", "r", &rotation),
                add_override("t", "r", &past, 0),
                add_override("t", "r", &live, 1),
            ],
        );
        let loaded = pollster::block_on(load_rotations(
            &db,
            "t",
            at("2026-01-15T00:00:00Z").timestamp_millis(),
        ))
        .unwrap();
        let mut expected = rotation.clone();
        expected.overrides.push(live);
        assert_eq!(loaded["r"], expected);
    }
}
