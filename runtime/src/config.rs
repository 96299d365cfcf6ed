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
//! one. The file is validated when the workflows crate builds (syntax, durations, ranges: a
//! bad value fails the build naming the file and the key) and against the registry by a test
//! (unknown names). Its JSON Schema is generated from [`PolicyFile`] and checked in.

use crate::duration::Duration;
use crate::retry::{Backoff, RetryPolicy, StepConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file's name, as error messages and the manifest cite it.
pub const FILE: &str = "retry-policies.toml";

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Overrides by step, sender, dispatcher or handler name (`<effect>.<method>`).
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyEntry>,
}

/// One override; every field is optional and replaces only itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    #[serde(default)]
    pub retries: Option<RetriesEntry>,
    /// Per-attempt timeout, e.g. "30 seconds". Must be more than zero.
    #[serde(default)]
    pub timeout: Option<String>,
}

/// Cloudflare's `retries`, field by field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    pub backoff: Option<Backoff>,
}

/// A validated override, as registered at build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyOverride {
    pub name: &'static str,
    pub limit: Option<u32>,
    pub delay_ms: Option<u64>,
    pub backoff: Option<Backoff>,
    pub timeout_ms: Option<u64>,
}

inventory::collect!(PolicyOverride);

impl PolicyOverride {
    fn apply(&self, mut config: StepConfig) -> StepConfig {
        if let Some(limit) = self.limit {
            config.retries.limit = limit;
        }
        if let Some(delay) = self.delay_ms {
            config.retries.delay = Duration::from_millis(delay);
        }
        if let Some(backoff) = self.backoff {
            config.retries.backoff = backoff;
        }
        if let Some(timeout) = self.timeout_ms {
            config.timeout = Duration::from_millis(timeout);
        }
        config
    }
}

/// A validated entry, owned: what `validate` returns and build scripts turn into code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidEntry {
    pub name: String,
    pub limit: Option<u32>,
    pub delay_ms: Option<u64>,
    pub backoff: Option<Backoff>,
    pub timeout_ms: Option<u64>,
}

/// Parses and checks the file's text. Errors name the file, the key and what is allowed.
pub fn validate(policies: &PolicyFile) -> Result<Vec<ValidEntry>, Vec<String>> {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (name, entry) in &policies.policies {
        let key = |field: &str| format!("{FILE}: policies.\"{name}\".{field}");
        let duration =
            |field: &str, text: &str, errors: &mut Vec<String>| match Duration::parse(text) {
                Ok(d) => Some(d.as_millis()),
                Err(e) => {
                    errors.push(format!("{}: {e}", key(field)));
                    None
                }
            };
        let mut valid = ValidEntry {
            name: name.clone(),
            limit: None,
            delay_ms: None,
            backoff: None,
            timeout_ms: None,
        };
        if name.trim().is_empty() {
            errors.push(format!(
                "{FILE}: policies has an empty name; use a step, sender or handler name"
            ));
        }
        if let Some(retries) = &entry.retries {
            if let Some(limit) = retries.limit {
                if limit > RetryPolicy::MAX_LIMIT {
                    errors.push(format!(
                        "{}: {limit} is out of range; allowed 0 to {}",
                        key("retries.limit"),
                        RetryPolicy::MAX_LIMIT
                    ));
                }
                valid.limit = Some(limit);
            }
            if let Some(delay) = &retries.delay {
                valid.delay_ms = duration("retries.delay", delay, &mut errors);
            }
            valid.backoff = retries.backoff;
        }
        if let Some(timeout) = &entry.timeout {
            valid.timeout_ms = duration("timeout", timeout, &mut errors);
            if valid.timeout_ms == Some(0) {
                errors.push(format!("{}: must be more than zero", key("timeout")));
            }
        }
        if entry.retries.is_none() && entry.timeout.is_none() {
            errors.push(format!(
                "{}: sets nothing; allowed fields are retries and timeout",
                key("")
            ));
        }
        entries.push(valid);
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Registered overrides, as `(name, entry)`.
pub fn overrides() -> Vec<&'static PolicyOverride> {
    inventory::iter::<PolicyOverride>.into_iter().collect()
}

fn find(name: &str) -> Option<&'static PolicyOverride> {
    inventory::iter::<PolicyOverride>
        .into_iter()
        .find(|o| o.name == name)
}

/// The effective config of `step`: `attribute`, then the `group` override (an effect's name),
/// then the exact override.
pub fn effective(step: &str, group: Option<&str>, attribute: StepConfig) -> StepConfig {
    let mut config = attribute;
    if let Some(o) = group.and_then(find) {
        config = o.apply(config);
    }
    if let Some(o) = find(step) {
        config = o.apply(config);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(entries: &[(&str, PolicyEntry)]) -> PolicyFile {
        PolicyFile {
            policies: entries
                .iter()
                .map(|(n, e)| (n.to_string(), e.clone()))
                .collect(),
        }
    }

    #[test]
    fn errors_name_the_file_the_key_and_what_is_allowed() {
        let bad = file(&[(
            "slack",
            PolicyEntry {
                retries: Some(RetriesEntry {
                    limit: Some(20_000),
                    delay: Some("soon".into()),
                    backoff: None,
                }),
                timeout: Some("0 seconds".into()),
            },
        )]);
        let errors = validate(&bad).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("retry-policies.toml: policies.\"slack\".retries.limit: 20000 is out of range; allowed 0 to 10000"));
        assert!(errors[1].starts_with(
            "retry-policies.toml: policies.\"slack\".retries.delay: invalid duration \"soon\""
        ));
        assert_eq!(
            errors[2],
            "retry-policies.toml: policies.\"slack\".timeout: must be more than zero"
        );
    }

    #[test]
    fn a_valid_entry_keeps_only_what_it_sets() {
        let ok = file(&[(
            "dashboard",
            PolicyEntry {
                retries: Some(RetriesEntry {
                    limit: Some(2),
                    ..Default::default()
                }),
                timeout: None,
            },
        )]);
        let entries = validate(&ok).unwrap();
        assert_eq!(
            entries[0],
            ValidEntry {
                name: "dashboard".into(),
                limit: Some(2),
                delay_ms: None,
                backoff: None,
                timeout_ms: None
            }
        );
    }
}
