//! The public status page: the `status_page` dispatcher projects each incident's affection
//! (its public title, services, status and update messages) into D1, and the public routes
//! render that projection as HTML, a Statuspage-style `summary.json` and an Atom feed.
//! Nothing else about an incident (internal title, description, prompt, assignee, messages)
//! is ever written or read here. See docs/status-page.md.

pub mod dispatcher;
pub mod feed;
pub mod html;
pub mod model;
pub mod projection;
pub mod response;
pub mod rollup;
pub mod store;
pub mod summary;

mod time;

#[cfg(test)]
mod tests;

pub use model::{PublicIncident, PublicPage, PublicService, PublicUpdate};

/// The D1 binding holding the page (the same database as the incident index).
pub const STATUS_DATABASE: &str = crate::dashboard::INDEX_DATABASE;

/// How long a resolved incident stays on the page and in the feed.
pub const HISTORY_DAYS: i64 = 90;
