//! Embeds the retry-policy file in the runtime, so its overrides apply in every crate and test
//! that links the runtime (not only where the workflows are linked).
//!
//! The file is `$INCIDENTD_RETRY_POLICIES` (set by the repository's `.cargo/config.toml`; unset
//! means no overrides). Syntax and values are checked here: a bad value fails the build naming
//! the file, the key path and the allowed form. Names are checked against the registry by
//! `registry::validate` (the manifest binary and a test), since only linked code knows them.

#[path = "build/policy_toml.rs"]
mod policy_toml;

use sluice_policy::file::validate_file;
use sluice_policy::PolicyPatch;
use std::path::{Path, PathBuf};

const PATH_VAR: &str = "INCIDENTD_RETRY_POLICIES";

fn fail(errors: &[String]) -> ! {
    for error in errors {
        eprintln!("error: {error}");
    }
    // Cargo shows stderr of a failed build script; also say which setting points at the file.
    eprintln!("note: the retry-policy file is ${PATH_VAR} (see .cargo/config.toml)");
    std::process::exit(1);
}

fn option<T: std::fmt::Debug>(value: Option<T>) -> String {
    match value {
        Some(v) => format!("Some({v:?})"),
        None => "None".into(),
    }
}

/// One `PolicyOverride` literal (the generated code is included into `config.rs`).
fn literal(name: &str, patch: &PolicyPatch) -> String {
    let backoff = match patch.backoff {
        Some(b) => format!("Some(crate::retry::Backoff::{b:?})"),
        None => "None".into(),
    };
    format!(
        "PolicyOverride {{ name: {name:?}, limit: {}, delay_ms: {}, backoff: {backoff}, max_delay_ms: {}, timeout_ms: {} }},\n",
        option(patch.limit),
        option(patch.delay.map(|d| d.as_millis())),
        option(patch.max_delay.map(|d| d.as_millis())),
        option(patch.timeout.map(|d| d.as_millis())),
    )
}

fn entries(path: &Path) -> Vec<(String, PolicyPatch)> {
    println!("cargo:rerun-if-changed={}", path.display());
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&[format!("{label}: cannot read it: {e}")]));
    let value = policy_toml::parse(&label, &text).unwrap_or_else(|e| fail(&[e]));
    validate_file(&label, &value).unwrap_or_else(|errors| fail(&errors))
}

fn main() {
    println!("cargo:rerun-if-env-changed={PATH_VAR}");
    println!("cargo:rerun-if-changed=build/policy_toml.rs");
    let path = std::env::var_os(PATH_VAR)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let entries = path.as_deref().map(entries).unwrap_or_default();
    let literals: String = entries.iter().map(|(n, p)| literal(n, p)).collect();
    let shown = path.map(|p| p.display().to_string());
    let code = format!(
        "pub static FILE_PATH: Option<&str> = {shown:?};\n\
         pub static FILE_OVERRIDES: &[PolicyOverride] = &[\n{literals}];\n"
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("retry_policies.rs"), code)
        .unwrap_or_else(|e| fail(&[format!("writing the embedded policies: {e}")]));
}
