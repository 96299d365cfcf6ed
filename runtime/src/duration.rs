//! Durations in the vocabulary of Cloudflare Workflows (`"10 seconds"`, `"5 minutes"`): the
//! policy crate's, re-exported so `incidentd_runtime::duration::Duration` keeps working.

pub use incidentd_policy::duration::*;
