//! Retry policy and step configuration (Cloudflare's `step.do` config): the policy crate's,
//! re-exported so `sluice::retry::*` keeps working.

pub use sluice_policy::retry::*;
