//! Declarative retry policy: an application's retry-policy file overrides any step's,
//! sender's or dispatcher's policy by name, without touching code.
//!
//! ```toml
//! [policies."mailer"]                  # every handler of the mailer sender
//! retries = { limit = 8, delay = "2 seconds" }
//!
//! [policies."mailer.order_shipped"]    # one handler (or one #[step] by its name)
//! timeout = "1 minute"
//! ```
//!
//! Effective policy = attribute defaults, overridden by the broader entry, then by the exact
//! one. The file belongs to the crate that declares it with
//! `sluice::retry_policies!(file = "retry-policies.toml", env = "MY_APP_RETRY_POLICIES")`: the
//! file is read and its values checked when that crate compiles, and its entries apply
//! wherever that crate is linked (and nowhere else). A name the linked code does not register
//! is reported with its file and line by [`crate::registry::validate`] and by the unit test the
//! macro adds to the declaring crate. The file's JSON Schema is generated from [`PolicyFile`].

use crate::retry::{Backoff, StepConfig};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use sluice_policy::{Duration, PolicyPatch};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The conventional name of a policy file, as the manifest cites the source of a policy.
pub const FILE: &str = "retry-policies.toml";

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
    /// Replaces the retry schedule, field by field.
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
    /// How the delay grows between attempts: "constant", "linear" or "exponential".
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

/// A validated override: from a policy file, or registered in code with `inventory` (tests
/// do, to exercise one without a file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyOverride {
    /// The step, effect or handler name the override applies to.
    pub name: &'static str,
    /// Retries after the first attempt.
    pub limit: Option<u32>,
    /// The wait before the first retry, in milliseconds.
    pub delay_ms: Option<u64>,
    /// How the wait grows between retries.
    pub backoff: Option<Backoff>,
    /// The cap on the grown wait, in milliseconds.
    pub max_delay_ms: Option<u64>,
    /// How long one attempt may run, in milliseconds.
    pub timeout_ms: Option<u64>,
}

inventory::collect!(PolicyOverride);

impl PolicyOverride {
    /// The override as a [`PolicyPatch`], to apply over an attribute's config.
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

/// One entry of a policy file, with the line it is written on (0: not found in the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyFileEntry {
    /// The 1-based line of the entry in the file (its table header or key; 0: not found).
    pub line: u32,
    /// The validated override the entry sets.
    pub policy: PolicyOverride,
}

/// A policy file as `retry_policies!` registered it, validated at the declaring crate's build.
pub struct PolicyFileDef {
    /// The file read (the variable's value when set, else the declared file).
    pub path: &'static str,
    /// The variable that names another file when set.
    pub var: Option<&'static str>,
    /// Its entries, in file order.
    pub entries: &'static [PolicyFileEntry],
}

inventory::collect!(PolicyFileDef);

/// Every policy file linked in, sorted by path.
pub fn files() -> Vec<&'static PolicyFileDef> {
    crate::registry::ensure_registered();
    let mut all: Vec<_> = inventory::iter::<PolicyFileDef>.into_iter().collect();
    all.sort_by_key(|f| f.path);
    all
}

/// Where an override was written: `path:line` of its file entry, else (registered in code) the
/// linked application's file as [`file_path`] names it.
pub fn origin(policy: &PolicyOverride) -> String {
    files()
        .into_iter()
        .find_map(|file| {
            file.entries
                .iter()
                .find(|e| std::ptr::eq(&e.policy, policy))
                .map(|e| format!("{}:{}", file.path, e.line))
        })
        .unwrap_or_else(|| file_path().to_owned())
}

/// The linked application's policy file when there is exactly one, else the usual name.
pub fn file_path() -> &'static str {
    match files().as_slice() {
        [one] => one.path,
        _ => FILE,
    }
}

/// Every override: the files', then those registered in code.
pub fn overrides() -> Vec<&'static PolicyOverride> {
    let from_files = files()
        .into_iter()
        .flat_map(|f| f.entries.iter().map(|e| &e.policy));
    from_files
        .chain(inventory::iter::<PolicyOverride>)
        .collect()
}

/// The file at `path` names only registered steps, senders, dispatchers and handlers: the check
/// the unit test generated by `retry_policies!` runs in the declaring crate.
pub fn check_file(path: &str) -> Result<(), Vec<String>> {
    let errors: Vec<String> = files()
        .into_iter()
        .filter(|f| f.path == path)
        .flat_map(|f| f.entries.iter())
        .filter_map(|e| crate::validate::unknown_policy_name(&e.policy))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
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
