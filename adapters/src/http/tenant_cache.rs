//! The tenant's configuration, kept in the isolate for a short while: a create would otherwise
//! read D1 before it can even reach the Incident object, on the acknowledgement's path.
//! A change to a tenant's entry points or services reaches new incidents within
//! [`TTL_MS`]; incidents already declared keep the configuration they started with anyway.
//! Rotations are cached as rotations and resolved at each read, so the cache never holds a
//! hand-off back.

use super::error::ApiError;
use super::tenant::{tenant_config, TenantConfig};
use crate::isolate_cache::IsolateCache;
use incidentd_core::model::{EntryPoint, Service};
use sluice::sql::Database;

/// How long a tenant's configuration is reused.
pub const TTL_MS: i64 = 30_000;
/// Tenants kept at most.
const MAX_TENANTS: usize = 1_000;

thread_local! {
    static CACHE: IsolateCache<TenantConfig> = IsolateCache::new(TTL_MS, MAX_TENANTS);
}

/// [`tenant_config`] resolved at `now_ms`, answered from the isolate's cache when read less
/// than [`TTL_MS`] ago.
pub async fn cached_tenant_config(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<(Vec<EntryPoint>, Vec<Service>), ApiError> {
    if let Some(config) = CACHE.with(|cache| cache.get(tenant_id, now_ms)) {
        return Ok(config.resolve(now_ms));
    }
    let config = tenant_config(db, tenant_id, now_ms).await?;
    CACHE.with(|cache| cache.put(tenant_id, now_ms, config.clone()));
    Ok(config.resolve(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::native::SqliteDatabase;

    fn db_with_one_service() -> SqliteDatabase {
        let db = crate::migrations::migrated();
        db.apply("INSERT INTO service (tenant_id, id, name) VALUES ('t', 'api', 'API')")
            .unwrap();
        db
    }

    #[test]
    fn a_read_within_the_ttl_is_served_from_the_isolate_and_a_later_one_from_d1() {
        let db = db_with_one_service();
        let read = |now| pollster::block_on(cached_tenant_config(&db, "t", now)).unwrap();
        assert_eq!(read(1_000).1.len(), 1);
        db.apply("INSERT INTO service (tenant_id, id, name) VALUES ('t', 'web', 'Web')")
            .unwrap();
        assert_eq!(read(1_000 + TTL_MS - 1).1.len(), 1, "cached");
        assert_eq!(read(1_000 + TTL_MS).1.len(), 2, "expired: read again");
    }

    #[test]
    fn a_cached_rotation_entry_point_pages_whoever_is_on_call_at_each_read() {
        let db = db_with_one_service();
        // Daily in UTC from 1970-01-01 09:00: ann until 1970-01-02 09:00, then bob.
        db.apply(
            "INSERT INTO rotation (tenant_id, id, members, shift_hours, handoff_time, time_zone, starts_on) \
             VALUES ('r', 'primary', '[\"ann\",\"bob\"]', 24, '09:00', 'UTC', '1970-01-01'); \
             INSERT INTO entry_point (tenant_id, id, kind, rotation_id, is_fallback) \
             VALUES ('r', 'oncall', 'rotation', 'primary', 1)",
        )
        .unwrap();
        let handoff = 33 * 3_600_000;
        let assignee = |now| {
            let (entry_points, _) =
                pollster::block_on(cached_tenant_config(&db, "r", now)).unwrap();
            entry_points[0].assignee.clone()
        };
        assert_eq!(assignee(handoff - 1_000), "ann");
        assert_eq!(
            assignee(handoff),
            "bob",
            "resolved from the cached rotation"
        );
    }
}
