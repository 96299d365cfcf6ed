//! incidentd's adapters, one folder per external party. Each has a `receiver` (validate,
//! authenticate and normalise input) and/or a `sender` (side effects, registered with the
//! runtime so the workflows fan out to it without naming it).

pub mod dashboard;
