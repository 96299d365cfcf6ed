//! [`Secret`]: a token or key that must never reach a log. It lives in the wire crate
//! (`incidentd_wire::secret`) because a connect request carries one; re-exported here.

pub use incidentd_wire::secret::Secret;
