//! Wall-clock milliseconds, for measuring and logging only (never for decisions a replay must
//! repeat). On Workers the clock advances across I/O, which is what a latency spans.

/// Milliseconds since the Unix epoch (0 if the native clock reads before it). For measuring
/// and logging only: a workflow replay would read a different value.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}
