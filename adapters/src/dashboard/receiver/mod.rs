//! Receiver of the dashboard API: its query and body parsing and its OpenAPI document. The
//! error shape, authentication and tenant lookup are the kernel's (`crate::http`); routing and
//! the Durable Object calls live in the worker entry.

pub mod list;
pub mod openapi;
pub mod requests;
