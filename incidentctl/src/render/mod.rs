//! Typed replies rendered for a terminal: what [`crate::replies`] decoded, never raw JSON keys.

pub mod analysis;
pub mod events;
pub mod incident;
pub mod outcomes;
pub mod text;
pub mod timeline;

pub use text::{shorten, SUMMARY_WIDTH};
