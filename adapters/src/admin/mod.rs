//! The operator's admin API (`/admin/*`): request validation, the D1 statements that configure
//! a tenant, on-call rotations and per-tenant signing secrets. Operator authentication is the
//! kernel's (`crate::http::operator`); routing lives in the worker entry (`src/admin_routes.rs`).

pub mod error;
pub mod requests;
pub mod rotation;
pub mod secrets;
pub mod store;
