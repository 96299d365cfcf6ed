//! The overrides from `retry-policies.toml`, validated and turned into registrations by
//! `build.rs`.

include!(concat!(env!("OUT_DIR"), "/retry_policies.rs"));
