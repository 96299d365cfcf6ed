//! The tenant's configuration, kept in the isolate for a short while: a create would otherwise
//! read D1 before it can even reach the Incident object, on the acknowledgement's path.
//! A change to a tenant's entry points or services reaches new incidents within
//! [`TTL_MS`]; incidents already declared keep the configuration they started with anyway.

use super::error::ApiError;
use super::tenant::tenant_config;
use incidentd_core::model::{EntryPoint, Service};
use incidentd_runtime::sql::Database;
use std::cell::RefCell;
use std::collections::HashMap;

/// How long a tenant's configuration is reused.
pub const TTL_MS: i64 = 30_000;
/// Tenants kept at most; beyond, the cache starts afresh (bounded memory, no eviction order).
const MAX_TENANTS: usize = 1_000;

type Config = (Vec<EntryPoint>, Vec<Service>);

thread_local! {
    // Workers run one thread per isolate: this is the isolate's cache.
    static CACHE: RefCell<HashMap<String, (i64, Config)>> = RefCell::new(HashMap::new());
}

/// [`tenant_config`], answered from the isolate's cache when read less than [`TTL_MS`] ago.
pub async fn cached_tenant_config(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<Config, ApiError> {
    let fresh = CACHE.with(|cache| {
        cache
            .borrow()
            .get(tenant_id)
            .filter(|(at, _)| now_ms - at < TTL_MS && now_ms >= *at)
            .map(|(_, config)| config.clone())
    });
    if let Some(config) = fresh {
        return Ok(config);
    }
    let config = tenant_config(db, tenant_id).await?;
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= MAX_TENANTS {
            cache.clear();
        }
        cache.insert(tenant_id.to_owned(), (now_ms, config.clone()));
    });
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_runtime::native::SqliteDatabase;

    fn db_with_one_service() -> SqliteDatabase {
        let db = SqliteDatabase::in_memory();
        db.apply(include_str!(
            "../../../../migrations/0002_tenant_config.sql"
        ))
        .unwrap();
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
}
