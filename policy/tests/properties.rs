//! Property tests (fixed seed, run by `cargo test`) of the policy parsers: durations
//! round-trip through their text and any other text is refused cleanly; the retry-policy
//! file's checks accept or refuse any value tree without panicking, every refusal naming the
//! file. The coverage-guided counterparts are fuzz/fuzz_targets/{duration,retry_policy_file}.rs.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use sluice_policy::file::validate_file;
use sluice_policy::{Duration, Value};

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x0d0a_7e57),
        ..Config::default()
    }
}

#[test]
fn every_duration_round_trips_through_its_text() {
    TestRunner::new(config(2_000))
        .run(&any::<u64>(), |millis| {
            let duration = Duration::from_millis(millis);
            prop_assert_eq!(Duration::parse(&duration.to_string()), Ok(duration));
            Ok(())
        })
        .unwrap();
}

/// Text near the accepted form: a number, spaces, a unit (some of them wrong), noise.
fn duration_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]{0,2}[0-9]{0,22}[ ]{0,2}(ms|s|m|h|d|millisecond|seconds|minute|hours|days|week|weeks|months|years|sss|)[ ]{0,2}",
        any::<String>(),
    ]
}

#[test]
fn any_text_parses_to_a_duration_that_round_trips_or_is_refused_naming_it() {
    TestRunner::new(config(4_000))
        .run(&duration_like(), |text| {
            match Duration::parse(&text) {
                Ok(duration) => prop_assert_eq!(
                    Duration::parse(&duration.to_workflow_string()),
                    Ok(duration)
                ),
                Err(e) => {
                    prop_assert_eq!(&e.input, &text);
                    prop_assert!(e.to_string().contains("invalid duration"));
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Value trees shaped like the file: mostly the right keys, sometimes wrong ones and wrong
/// types, nested a few levels.
fn values() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("policies".to_owned()),
        Just("dashboard".to_owned()),
        Just("retries".to_owned()),
        Just("timeout".to_owned()),
        Just("limit".to_owned()),
        Just("delay".to_owned()),
        Just("backoff".to_owned()),
        "[a-z\"]{0,8}",
    ];
    let leaf = prop_oneof![
        any::<i128>().prop_map(Value::Int),
        (-20_000i128..20_000).prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        duration_like().prop_map(Value::Str),
        prop::sample::select(vec!["constant", "linear", "exponential", "random"])
            .prop_map(Value::str),
        ".{0,12}".prop_map(Value::Other),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(Value::Table),
        ]
    })
}

#[test]
fn the_policy_file_checks_accept_or_refuse_any_value_tree_naming_the_file() {
    TestRunner::new(config(2_000))
        .run(&values(), |value| {
            match validate_file("retry-policies.toml", &value) {
                Ok(entries) => {
                    for (_, patch) in entries {
                        prop_assert!(patch.limit.is_none_or(|l| l <= 10_000));
                        prop_assert!(patch.timeout.is_none_or(|t| t > Duration::ZERO));
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(error.starts_with("retry-policies.toml: "), "{}", error);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
