//! `incidentd-wire`: the shapes that cross the wire between incidentd and its clients, in one
//! place. The server (`incidentd-adapters`, the worker) parses these request bodies and
//! serializes these replies, its OpenAPI document takes their schemas from them, and
//! `incidentctl` builds and decodes the very same types, so the CLI cannot drift from the API.
//!
//! Pure data, serde and schemars derives, and the request-signing helpers both sides use: no
//! I/O and no platform glue, so it builds for the worker (wasm32) and natively. What only the
//! server does with these types (turning a body into a core command, checks that answer with
//! an API error, storage) stays in the adapters.
//!
//! - [`dashboard`]: the dashboard API's request bodies;
//! - [`list`]: the incident list's query and its page;
//! - [`admin`]: the admin API's request bodies and limits;
//! - [`slack_install`]: connecting and showing Slack installations;
//! - [`analysis`]: an incident's metrics and post-incident review;
//! - [`signing`]: the HMAC signature of dashboard requests (sign and verify);
//! - [`slack_signing`]: Slack's v0 request signature (sign and verify);
//! - [`slack_ids`]: the stable ids incidentd's Slack messages and modals carry;
//! - [`secret`]: a token that never reaches a log.

#![warn(missing_docs)]

pub mod admin;
pub mod analysis;
pub mod dashboard;
pub mod list;
pub mod secret;
pub mod signing;
pub mod slack_ids;
pub mod slack_install;
pub mod slack_signing;
