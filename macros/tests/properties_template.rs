//! Property tests (fixed seed, run by `cargo test`) of the idempotency-key template parser.
//! It lives in this proc-macro crate, whose functions no test can call, so the file is
//! compiled here as a module (proc-macro2 and syn run outside a macro too), as the fuzz target
//! fuzz/fuzz_targets/idempotency_template.rs does: any text parses or is refused with an
//! error, and what parses re-escapes to text that parses to the same parts.

#[allow(dead_code)]
#[path = "../src/template.rs"]
mod template;

use proc_macro2::Span;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use syn::LitStr;
use template::{Part, Template};

fn parse(text: &str) -> syn::Result<Template> {
    Template::parse(&LitStr::new(text, Span::call_site()))
}

/// `(is_field, text)` per part, comparable.
fn shape(template: &Template) -> Vec<(bool, String)> {
    template
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => (false, t.clone()),
            Part::Field(f) => (true, f.clone()),
        })
        .collect()
}

fn written(template: &Template) -> String {
    template
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.replace('{', "{{").replace('}', "}}"),
            Part::Field(f) => format!("{{{f}}}"),
        })
        .collect()
}

#[test]
fn any_text_parses_to_a_template_that_round_trips_or_is_refused() {
    let config = Config {
        cases: 4_000,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x7e3b_1a7e),
        ..Config::default()
    };
    // Mostly braces, names and separators, so both outcomes are common.
    let text = prop_oneof!["[{}a-z_0-9:. ]{0,24}", any::<String>()];
    TestRunner::new(config)
        .run(&text, |text| {
            let Ok(template) = parse(&text) else {
                return Ok(());
            };
            prop_assert_eq!(template.text(), text.clone());
            prop_assert!(template.parts.iter().any(|p| matches!(p, Part::Field(_))));
            for part in &template.parts {
                match part {
                    Part::Field(name) => {
                        prop_assert!(
                            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                        );
                        prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                    }
                    Part::Text(t) => prop_assert!(!t.is_empty()),
                }
            }
            let again = parse(&written(&template)).expect("the re-escaped template parses");
            prop_assert_eq!(shape(&again), shape(&template));
            Ok(())
        })
        .unwrap();
}

#[test]
fn refusals_name_the_problem() {
    for (text, says) in [
        ("{a", "unclosed"),
        ("a}", "unmatched"),
        ("{1x}", "not a field name"),
        ("fixed", "no placeholder"),
    ] {
        let error = parse(text).err().expect("refused").to_string();
        assert!(error.contains(says), "{text:?}: {error}");
    }
}
