//! Durations in the vocabulary of Cloudflare Workflows (`"10 seconds"`, `"5 minutes"`): the
//! policy crate's, re-exported so `sluice::duration::Duration` keeps working.

pub use sluice_policy::duration::*;
