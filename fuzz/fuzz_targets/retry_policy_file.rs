//! The retry-policy file (`retry-policies.toml`) as the runtime's build script reads it: the
//! TOML conversion (`runtime/build/policy_toml.rs`, compiled here as a module, as the
//! runtime's own test does) and `sluice_policy::file::validate_file`. Any text is accepted
//! or refused with messages that name the file, never a panic; accepted values are in range.
#![no_main]

#[path = "../../runtime/build/policy_toml.rs"]
mod policy_toml;

use sluice_policy::file::validate_file;
use libfuzzer_sys::fuzz_target;

const LABEL: &str = "retry-policies.toml";

fuzz_target!(|text: &str| {
    let checked = policy_toml::parse(LABEL, text).map_err(|e| vec![e]);
    match checked.and_then(|value| validate_file(LABEL, &value)) {
        Ok(entries) => {
            for (_, patch) in entries {
                assert!(patch.limit.is_none_or(|l| l <= 10_000));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                assert!(error.starts_with(LABEL), "{error}");
            }
        }
    }
});
