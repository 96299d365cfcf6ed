//! The tenancy/HTTP kernel every receiver stands on (dashboard, admin, Slack, status page):
//! the route table, the one error shape and its mapping from domain errors, the one HTML/XML escaper, the two ways a
//! caller is authenticated (a tenant's signed request, the operator's bearer token) and the
//! lookup of a tenant's configuration, and the one declare path that uses it.

pub mod declare;
pub mod error;
pub mod escape;
pub mod operator;
pub mod routes;
pub mod tenant;
pub mod tenant_cache;

pub use error::ApiError;
