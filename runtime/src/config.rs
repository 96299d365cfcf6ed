//! Declarative retry policy: `retry-policies.toml` overrides any step's, sender's or
//! dispatcher's policy by name, without touching code.
//!
//! ```toml
//! [policies."dashboard"]                  # every handler of the dashboard sender
//! retries = { limit = 8, delay = "2 seconds" }
//!
//! [policies."dashboard.incident_created"] # one handler (or one #[step] by its name)
//! timeout = "1 minute"
//! ```
//!
//! Effective policy = attribute defaults, overridden by the broader entry, then by the exact
//! one. The runtime's build script embeds the file named by `$INCIDENTD_RETRY_POLICIES` (set in
//! `.cargo/config.toml`), so the overrides apply wherever the runtime is linked; it rejects bad
//! syntax and values, naming the key path and the allowed form. Unknown names are rejected by
//! [`crate::registry::validate`]. The file's JSON Schema is generated from [`PolicyFile`] and
//! checked in.

use crate::retry::{Backoff, StepConfig};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use sluice_policy::{Duration, PolicyPatch};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The file's name, as error messages and the manifest cite it.
pub const FILE: &str = "retry-policies.toml";

/// The environment variable naming the file the build embeds.
pub const PATH_VAR: &str = "INCIDENTD_RETRY_POLICIES";

// These types describe the format for the JSON Schema only: the file itself is checked by
// `sluice_policy::file`, whose messages name the key path and the allowed form.

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Overrides by step, sender, dispatcher or handler name (`<effect>.<method>`).
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyEntry>,
}

/// One override; every field is optional and replaces only itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    #[serde(default)]
    pub retries: Option<RetriesEntry>,
    /// Per-attempt timeout, e.g. "30 seconds". Must be more than zero.
    #[serde(default)]
    pub timeout: Option<String>,
}

/// Cloudflare's `retries`, field by field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetriesEntry {
    /// Retries after the first attempt, 0 to 10000.
    #[serde(default)]
    #[schemars(range(max = 10000))]
    pub limit: Option<u32>,
    /// Delay before the first retry, e.g. "10 seconds".
    #[serde(default)]
    pub delay: Option<String>,
    #[serde(default)]
    pub backoff: Option<BackoffName>,
    /// The longest wait between two attempts, e.g. "5 minutes" (more than zero). Effects
    /// delivered on lanes honour it; Cloudflare's engine has no cap.
    #[serde(default)]
    pub max_delay: Option<String>,
}

/// A backoff as the file spells it; its schema lists [`Backoff::ALL`], so it cannot drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackoffName(pub String);

impl JsonSchema for BackoffName {
    fn schema_name() -> Cow<'static, str> {
        "Backoff".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Backoff::ALL.iter().map(|(name, _)| *name).collect();
        schemars::json_schema!({
            "description": "How the delay grows between attempts (Cloudflare's `retries.backoff`).",
            "type": "string",
            "enum": names,
        })
    }
}

/// A validated override: embedded from the file, or registered in code with `inventory`
/// (tests do, to exercise one without editing the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyOverride {
    pub name: &'static str,
    pub limit: Option<u32>,
    pub delay_ms: Option<u64>,
    pub backoff: Option<Backoff>,
    pub max_delay_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
}

inventory::collect!(PolicyOverride);

impl PolicyOverride {
    pub fn patch(&self) -> PolicyPatch {
        PolicyPatch {
            limit: self.limit,
            delay: self.delay_ms.map(Duration::from_millis),
            backoff: self.backoff,
            max_delay: self.max_delay_ms.map(Duration::from_millis),
            timeout: self.timeout_ms.map(Duration::from_millis),
        }
    }
}

/// The file's entries, validated by `build.rs` (`FILE_PATH`, `FILE_OVERRIDES`).
mod embedded {
    use super::PolicyOverride;

    include!(concat!(env!("OUT_DIR"), "/retry_policies.rs"));
}

/// The embedded file as the build found it (for error messages), else its usual name.
pub fn file_path() -> &'static str {
    embedded::FILE_PATH.unwrap_or(FILE)
}

/// Every override: the file's, then those registered in code.
pub fn overrides() -> Vec<&'static PolicyOverride> {
    embedded::FILE_OVERRIDES
        .iter()
        .chain(inventory::iter::<PolicyOverride>)
        .collect()
}

fn find(name: &str) -> Option<&'static PolicyOverride> {
    overrides().into_iter().find(|o| o.name == name)
}

/// The effective config of `step`: `attribute`, then the `group` override (an effect's name),
/// then the exact override.
pub fn effective(step: &str, group: Option<&str>, attribute: StepConfig) -> StepConfig {
    let mut config = attribute;
    if let Some(o) = group.and_then(find) {
        config = o.patch().apply(config);
    }
    if let Some(o) = find(step) {
        config = o.patch().apply(config);
    }
    config
}

/// Where the effective config of `step` came from, for the manifest.
pub fn source(step: &str, group: Option<&str>) -> &'static str {
    if find(step).is_some() || group.and_then(find).is_some() {
        FILE
    } else {
        "attribute"
    }
}
