//! Idempotency-key templates (`macros/src/template.rs`, `Template::parse`). The parser lives in
//! the proc-macro crate, whose functions no other crate can call, so this target compiles the
//! same file as a module (proc-macro2 and syn run outside a macro too). Any text parses or is
//! refused with an error, never a panic; what parses has a placeholder, only valid field
//! names, and re-escaped text that parses to the same parts.
#![no_main]

#[allow(dead_code)]
#[path = "../../macros/src/template.rs"]
mod template;

use libfuzzer_sys::fuzz_target;
use proc_macro2::Span;
use syn::LitStr;
use template::{Part, Template};

fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

fn written(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => escape(t),
            Part::Field(f) => format!("{{{f}}}"),
        })
        .collect()
}

fn shape(parts: &[Part]) -> Vec<(bool, String)> {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => (false, t.clone()),
            Part::Field(f) => (true, f.clone()),
        })
        .collect()
}

fuzz_target!(|text: &str| {
    let Ok(template) = Template::parse(&LitStr::new(text, Span::call_site())) else {
        return;
    };
    assert_eq!(template.text(), text);
    assert!(template.parts.iter().any(|p| matches!(p, Part::Field(_))));
    for part in &template.parts {
        match part {
            Part::Field(name) => {
                assert!(name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
            Part::Text(t) => assert!(!t.is_empty()),
        }
    }
    let again = Template::parse(&LitStr::new(&written(&template.parts), Span::call_site()))
        .expect("the re-escaped template parses");
    assert_eq!(shape(&again.parts), shape(&template.parts));
});
