//! The dashboard: its signed HTTP API (receiver) and the D1 incident index it lists from
//! (sender).

pub mod analysis;
pub mod archive;
pub mod identifiers;
pub mod receiver;
pub mod sender;

/// The D1 binding holding the incident index.
pub const INDEX_DATABASE: &str = "DB";
