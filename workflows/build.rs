//! Turns `retry-policies.toml` into registered overrides. A file that does not parse, or a
//! value out of range, fails the build with the file, the key and what is allowed.

use incidentd_runtime::config::{validate, PolicyFile, ValidEntry, FILE};
use std::path::Path;

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

fn option<T: std::fmt::Debug>(value: Option<T>) -> String {
    match value {
        Some(v) => format!("::core::option::Option::Some({v:?})"),
        None => "::core::option::Option::None".into(),
    }
}

fn registration(entry: &ValidEntry) -> String {
    let backoff = match entry.backoff {
        Some(b) => {
            format!("::core::option::Option::Some(::incidentd_runtime::__private::Backoff::{b:?})")
        }
        None => "::core::option::Option::None".into(),
    };
    format!(
        "::incidentd_runtime::__private::inventory::submit! {{ ::incidentd_runtime::__private::PolicyOverride {{ \
         name: {:?}, limit: {}, delay_ms: {}, backoff: {backoff}, timeout_ms: {} }} }}\n",
        entry.name,
        option(entry.limit),
        option(entry.delay_ms),
        option(entry.timeout_ms),
    )
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FILE);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(&format!("{FILE}: cannot read {}: {e}", path.display())));
    let file: PolicyFile = toml::from_str(&text).unwrap_or_else(|e| fail(&format!("{FILE}: {e}")));
    let entries = validate(&file).unwrap_or_else(|errors| fail(&errors.join("\nerror: ")));
    let code: String = entries.iter().map(registration).collect();
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("retry_policies.rs");
    std::fs::write(out, code).unwrap_or_else(|e| fail(&format!("writing generated policies: {e}")));
}
