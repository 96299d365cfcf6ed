//! The identifiers incidentd's Slack surfaces carry: they live in the wire crate
//! (`incidentd_wire::slack_ids`), shared with `incidentctl slack`; re-exported here for the
//! Slack adapters.

pub use incidentd_wire::slack_ids::*;
