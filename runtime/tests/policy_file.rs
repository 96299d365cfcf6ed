//! The policy file as the build script reads it (its TOML conversion is included from
//! `build/`): value errors name the key path and the allowed form, not a deserializer's type.

#[path = "../build/policy_toml.rs"]
mod policy_toml;

use sluice_policy::file::validate_file;
use sluice_policy::{Duration, PolicyPatch};

fn check(text: &str) -> Result<Vec<(String, PolicyPatch)>, Vec<String>> {
    let value = policy_toml::parse("retry-policies.toml", text).map_err(|e| vec![e])?;
    validate_file("retry-policies.toml", &value)
}

#[test]
fn a_negative_limit_and_a_bare_number_delay_name_the_key_and_the_allowed_form() {
    let errors = check(
        r#"
        [policies."dashboard"]
        retries = { limit = -1, delay = 5 }
        "#,
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "retry-policies.toml: policies.\"dashboard\".retries.delay: expected a duration string like \"10 seconds\", found the integer 5",
            "retry-policies.toml: policies.\"dashboard\".retries.limit: -1 is out of range; expected an integer 0..=10000",
        ]
    );
}

#[test]
fn a_syntax_error_is_reported_with_the_file() {
    let errors = check("[policies.\"dashboard\"\nretries = 1").unwrap_err();
    assert!(errors[0].starts_with("retry-policies.toml: "), "{errors:?}");
}

#[test]
fn the_checked_in_file_is_valid() {
    let text = include_str!("../../retry-policies.toml");
    let entries = check(text).unwrap();
    let dashboard = entries
        .iter()
        .find(|(name, _)| name == "dashboard")
        .unwrap();
    assert_eq!(dashboard.1.limit, Some(20));
    assert_eq!(dashboard.1.delay, None::<Duration>);
}
