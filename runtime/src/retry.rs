//! Retry policy and step configuration (Cloudflare's `step.do` config): the policy crate's,
//! re-exported so `incidentd_runtime::retry::*` keeps working.

pub use incidentd_policy::retry::*;
