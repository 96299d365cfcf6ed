//! A client of the incidentd dashboard API that signs every request. Used by the `incidentctl`
//! binary and by the end-to-end tests.
//!
//! - [`client`]: credentials, signing, the HTTP send;
//! - [`paths`] and [`requests`]: the routes, with the wire crate's typed bodies;
//! - [`args`]: command-line values parsed into the core's enums;
//! - [`list`]: the incident list, one page or all of them;
//! - [`replies`]: the replies, decoded into the core's types;
//! - [`render`]: those typed replies for a terminal;
//! - [`slack`]: requests signed as Slack signs them, for trying Slack locally.

pub mod admin;
pub mod args;
pub mod client;
pub mod list;
pub mod paths;
pub mod render;
pub mod replies;
pub mod requests;
pub mod slack;

#[cfg(test)]
mod fixtures;

pub use client::{
    dev_var, nonce, now_millis, now_secs, send_as_operator, send_with_headers, Client, Credentials,
    Reply,
};
pub use paths::INCIDENTS_PATH;
