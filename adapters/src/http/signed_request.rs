//! Request signatures: the scheme lives in the wire crate (`incidentd_wire::signing`), shared
//! with the clients that sign; re-exported here for the server's receivers.

pub use incidentd_wire::signing::*;
