//! Structured-enough logging that reaches `wrangler tail` on Cloudflare and stderr natively.
//! Never pass secrets or user tokens here.

pub fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::cloudflare::log_error(message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

pub fn info(message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::cloudflare::log_info(message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}
