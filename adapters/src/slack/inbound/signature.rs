//! Slack request signatures (v0): the scheme lives in the wire crate
//! (`incidentd_wire::slack_signing`), shared with `incidentctl slack`; re-exported here for
//! the Slack receivers.

pub use incidentd_wire::slack_signing::*;
