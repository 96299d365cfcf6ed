//! A small per-isolate cache with a time to live, for reads on the acknowledgement's path
//! that change rarely (a tenant's configuration, its signing secrets). Workers run one thread
//! per isolate, so a `thread_local!` holding one of these is the isolate's cache: nothing is
//! shared between isolates, and each reads D1 again at most once per TTL and key.

use std::cell::RefCell;
use std::collections::HashMap;

pub struct IsolateCache<V> {
    ttl_ms: i64,
    /// Keys kept at most; beyond, the cache starts afresh (bounded memory, no eviction order).
    max_entries: usize,
    entries: RefCell<HashMap<String, (i64, V)>>,
}

impl<V: Clone> IsolateCache<V> {
    pub fn new(ttl_ms: i64, max_entries: usize) -> Self {
        Self {
            ttl_ms,
            max_entries,
            entries: RefCell::new(HashMap::new()),
        }
    }

    /// The value kept for `key` less than the TTL before `now_ms` (a clock that went back
    /// counts as expired).
    pub fn get(&self, key: &str, now_ms: i64) -> Option<V> {
        self.entries
            .borrow()
            .get(key)
            .filter(|(at, _)| now_ms >= *at && now_ms - at < self.ttl_ms)
            .map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: &str, now_ms: i64, value: V) {
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= self.max_entries && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_owned(), (now_ms, value));
    }
}

#[cfg(test)]
mod tests {
    use super::IsolateCache;

    #[test]
    fn a_value_is_served_within_its_ttl_only() {
        let cache = IsolateCache::new(100, 10);
        cache.put("t", 1_000, 7);
        assert_eq!(cache.get("t", 1_099), Some(7));
        assert_eq!(cache.get("t", 1_100), None, "expired");
        assert_eq!(cache.get("t", 999), None, "clock went back");
        assert_eq!(cache.get("other", 1_000), None);
    }

    #[test]
    fn a_full_cache_starts_afresh_instead_of_growing() {
        let cache = IsolateCache::new(100, 2);
        cache.put("a", 0, 1);
        cache.put("b", 0, 2);
        cache.put("b", 1, 3);
        assert_eq!(cache.get("a", 1), Some(1), "replacing a key does not clear");
        cache.put("c", 1, 4);
        assert_eq!((cache.get("a", 1), cache.get("c", 1)), (None, Some(4)));
    }
}
