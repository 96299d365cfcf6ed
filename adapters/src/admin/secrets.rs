//! Per-tenant dashboard signing secrets. A tenant without its own secret is signed for with
//! the Worker secret; rotating gives it a new one, while the one it replaces (its previous
//! secret, or the Worker secret on the first rotation) stays valid for a grace period.
//! Secrets are read only to verify signatures: no reply or log carries one, except the
//! rotate reply, once, with the new secret.

use super::error::AdminError;
use super::store::Statement;
use crate::isolate_cache::IsolateCache;
use serde::Deserialize;
use sluice::sql::{decode_rows, Database};

/// A tenant's row of `tenant_secret`.
#[derive(Clone, Deserialize)]
pub struct TenantSecrets {
    current: String,
    previous: Option<String>,
    previous_expires_at: Option<i64>,
}

impl std::fmt::Debug for TenantSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TenantSecrets(..)") // never printed
    }
}

/// The secrets a request of the tenant may be signed with at `now_secs`.
pub fn accepted<'a>(
    own: Option<&'a TenantSecrets>,
    worker_secret: Option<&'a str>,
    now_secs: i64,
) -> Vec<&'a [u8]> {
    let worker = worker_secret.filter(|s| !s.is_empty()).map(str::as_bytes);
    let Some(own) = own else {
        return worker.into_iter().collect();
    };
    let mut secrets = vec![own.current.as_bytes()];
    if own.previous_expires_at.is_some_and(|at| now_secs < at) {
        // No previous secret: the tenant's first rotation replaced the Worker secret.
        secrets.extend(own.previous.as_deref().map(str::as_bytes).or(worker));
    }
    secrets
}

/// The tenant's own secrets, if it has any.
pub async fn load(db: &dyn Database, tenant_id: &str) -> Result<Option<TenantSecrets>, AdminError> {
    let rows = db
        .query(
            "SELECT current, previous, previous_expires_at FROM tenant_secret WHERE tenant_id = ?1",
            vec![tenant_id.into()],
        )
        .await
        .map_err(|e| AdminError::Failed(format!("tenant secret: {e}")))?;
    let rows: Vec<TenantSecrets> = decode_rows(rows).map_err(|e| AdminError::Failed(e.message))?;
    Ok(rows.into_iter().next())
}

/// How long an isolate verifies a tenant's requests against the secrets it read before
/// reading D1 again. A request the cached secrets refuse is checked once more against D1
/// ([`Loaded::from_cache`]), so a rotated-in secret works at once; the cache only delays
/// the end of a secret that a rotation replaced without grace, by at most this long.
pub const CACHE_TTL_MS: i64 = 30_000;

thread_local! {
    static CACHE: IsolateCache<Option<TenantSecrets>> = IsolateCache::new(CACHE_TTL_MS, 1_000);
}

/// A tenant's secrets, and whether they came from the isolate's cache.
pub struct Loaded {
    pub secrets: Option<TenantSecrets>,
    pub from_cache: bool,
}

/// [`load`], answered from the isolate's cache when read less than [`CACHE_TTL_MS`] ago.
pub async fn load_cached(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<Loaded, AdminError> {
    match CACHE.with(|cache| cache.get(tenant_id, now_ms)) {
        Some(secrets) => Ok(Loaded {
            secrets,
            from_cache: true,
        }),
        None => load_fresh(db, tenant_id, now_ms).await,
    }
}

/// [`load`] from D1, kept in the isolate's cache for later requests.
pub async fn load_fresh(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<Loaded, AdminError> {
    let secrets = load(db, tenant_id).await?;
    CACHE.with(|cache| cache.put(tenant_id, now_ms, secrets.clone()));
    Ok(Loaded {
        secrets,
        from_cache: false,
    })
}

/// A new random secret: 32 bytes, hex.
pub fn generate() -> Result<String, AdminError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|_| AdminError::Failed("no randomness available".to_owned()))?;
    Ok(hex::encode(bytes))
}

/// One statement: `secret` becomes current, the current one (if any) previous until
/// `now + grace` (SQLite evaluates `SET` against the old row).
pub fn rotate(tenant_id: &str, secret: &str, now_secs: i64, grace_secs: i64) -> Statement {
    Statement::new(
        "INSERT INTO tenant_secret (tenant_id, current, previous, previous_expires_at, rotated_at) \
         VALUES (?1, ?2, NULL, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET \
         previous = current, previous_expires_at = excluded.previous_expires_at, \
         current = excluded.current, rotated_at = excluded.rotated_at",
        vec![tenant_id.into(), secret.into(), (now_secs + grace_secs).into(), now_secs.into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::native::SqliteDatabase;

    fn db() -> SqliteDatabase {
        crate::migrations::migrated()
    }

    fn apply(db: &SqliteDatabase, s: &Statement) {
        pollster::block_on(db.execute(s.sql, s.params.clone())).unwrap();
    }

    fn accepted_at(db: &SqliteDatabase, now: i64) -> Vec<String> {
        let own = pollster::block_on(load(db, "t")).unwrap();
        accepted(own.as_ref(), Some("worker"), now)
            .into_iter()
            .map(|s| String::from_utf8(s.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn rotation_keeps_the_replaced_secret_for_the_grace_only() {
        let db = db();
        assert_eq!(
            accepted_at(&db, 100),
            ["worker"],
            "no own secret: the Worker's"
        );
        apply(&db, &rotate("t", "one", 100, 10));
        assert_eq!(accepted_at(&db, 109), ["one", "worker"]);
        assert_eq!(accepted_at(&db, 110), ["one"]);
        apply(&db, &rotate("t", "two", 200, 5));
        assert_eq!(accepted_at(&db, 204), ["two", "one"]);
        assert_eq!(accepted_at(&db, 205), ["two"]);
    }

    #[test]
    fn a_cached_read_is_marked_and_a_fresh_read_refreshes_the_cache() {
        let db = db();
        let current = |loaded: &Loaded| loaded.secrets.as_ref().map(|s| s.current.clone());
        let cached = |now| pollster::block_on(load_cached(&db, "c", now)).unwrap();
        let first = cached(1_000);
        assert!(!first.from_cache && first.secrets.is_none());
        apply(&db, &rotate("c", "one", 1, 0));
        let second = cached(1_000 + CACHE_TTL_MS - 1);
        assert!(
            second.from_cache && second.secrets.is_none(),
            "within the TTL"
        );
        // What the router does when the cached secrets refuse a request.
        let fresh = pollster::block_on(load_fresh(&db, "c", 2_000)).unwrap();
        assert_eq!(current(&fresh).as_deref(), Some("one"));
        let third = cached(2_001);
        assert!(third.from_cache);
        assert_eq!(
            current(&third).as_deref(),
            Some("one"),
            "the fresh read is cached"
        );
        assert!(!cached(2_000 + CACHE_TTL_MS).from_cache, "expired");
    }

    #[test]
    fn without_any_secret_nothing_is_accepted_and_secrets_never_print() {
        assert!(accepted(None, None, 0).is_empty());
        assert!(accepted(None, Some(""), 0).is_empty());
        let s = TenantSecrets {
            current: "c".into(),
            previous: None,
            previous_expires_at: None,
        };
        assert_eq!(format!("{s:?}"), "TenantSecrets(..)");
        assert_ne!(generate().unwrap(), generate().unwrap());
        assert_eq!(generate().unwrap().len(), 64);
    }
}
