//! The operator's admin API (`/admin/*`): operator authentication, request validation, the
//! D1 statements that configure a tenant, on-call rotations and per-tenant signing secrets.
//! Routing lives in the worker entry (`src/admin_routes.rs`).

pub mod auth;
pub mod requests;
pub mod rotation;
pub mod secrets;
pub mod store;
