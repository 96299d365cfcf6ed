//! Prints what is derived from the workflow registry.
//!
//! - `json`: every workflow's definition (payload schemas, steps, effective policies, fan-out);
//! - `mermaid`: the same as a Mermaid flowchart;
//! - `js-entry`: the wrangler `main` module (js/entry.mjs);
//! - `policy-schema`: the JSON Schema of retry-policies.toml;
//! - `openapi`: the OpenAPI document of the dashboard API (docs/openapi.json).
//!
//! Every subcommand first validates the registry (`registry::validate`): names shared by two
//! senders, retry-policy entries naming nothing registered. `scripts/build` runs `js-entry`, so
//! such a mistake fails the build.

use sluice::{config, manifest, registry};
use std::process::ExitCode;

fn main() -> ExitCode {
    incidentd_workflows::link();
    if let Err(errors) = registry::validate() {
        for error in &errors {
            eprintln!("error: {error}");
        }
        eprintln!("incidentd-manifest: the workflow registry is invalid; nothing was generated");
        return ExitCode::FAILURE;
    }
    let output = match std::env::args().nth(1).as_deref() {
        Some("json") => {
            serde_json::to_string_pretty(&manifest::json()).expect("manifest serialises")
        }
        Some("mermaid") => manifest::mermaid(),
        Some("js-entry") => registry::js_entry(),
        Some("openapi") => serde_json::to_string_pretty(
            &incidentd_workflows::adapters::dashboard::receiver::openapi::document(),
        )
        .expect("document serialises"),
        Some("policy-schema") => {
            serde_json::to_string_pretty(&schemars::schema_for!(config::PolicyFile))
                .expect("schema serialises")
        }
        _ => {
            eprintln!(
                "usage: incidentd-manifest json | mermaid | js-entry | policy-schema | openapi"
            );
            return ExitCode::from(2);
        }
    };
    println!("{}", output.trim_end());
    ExitCode::SUCCESS
}
