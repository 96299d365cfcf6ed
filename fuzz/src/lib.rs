//! What the fuzz targets share: the native host the Slack receivers run in (the production
//! receivers over real Incident objects and D1 on SQLite, as the adapters' tests run them),
//! and the one mutation rule of the signature targets.

pub mod mutation;
pub mod slack_host;
pub mod text_input;
