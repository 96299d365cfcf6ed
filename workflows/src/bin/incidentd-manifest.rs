//! Prints what is derived from the workflow registry, through the framework's generator
//! (`sluice::manifest::main`):
//!
//! - `json`: every workflow's definition (payload schemas, steps, effective policies, fan-out);
//! - `mermaid`: the same as a Mermaid flowchart;
//! - `js-entry`: the wrangler `main` module (js/entry.mjs);
//! - `policy-schema`: the JSON Schema of retry-policies.toml;
//! - `openapi`: the OpenAPI document of the dashboard API (docs/openapi.json), the product's own.
//!
//! Every subcommand first validates the registry (`registry::validate`): names shared by two
//! senders, steps no workflow lists, retry-policy entries naming nothing registered (with their
//! file and line). `scripts/build` runs `js-entry`, so such a mistake fails the build.

use std::process::ExitCode;

fn openapi() -> String {
    serde_json::to_string_pretty(
        &incidentd_workflows::adapters::dashboard::receiver::openapi::document(),
    )
    .expect("document serialises")
}

fn main() -> ExitCode {
    incidentd_workflows::link();
    sluice::manifest::main("incidentd-manifest", &[("openapi", openapi)])
}
