//! Receiver of the dashboard API: request authentication, body parsing and the error shape.
//! Routing and the Durable Object calls live in the worker entry.

pub mod auth;
pub mod error;
pub mod list;
pub mod openapi;
pub mod requests;
pub mod routes;
pub mod tenant;
pub mod tenant_cache;

pub use auth::{AuthContext, AuthError, SignedRequest};
pub use error::ApiError;
