//! Structured-enough logging that reaches `wrangler tail` on Cloudflare and stderr natively.
//! Never pass secrets or user tokens here.

/// Logs `message` as an error (`console.error` on Cloudflare, stderr natively).
pub fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::cloudflare::log_error(message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// Logs `message` as information (`console.log` on Cloudflare, stderr natively).
pub fn info(message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::cloudflare::log_info(message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}
