//! Prints what is derived from the workflow registry.
//!
//! `incidentd-manifest js-entry` prints the wrangler `main` module (js/entry.mjs).

use incidentd_runtime::registry;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Link the workflows crate so its registrations are present.
    let _ = incidentd_workflows::incident::CLASS;
    match std::env::args().nth(1).as_deref() {
        Some("js-entry") => {
            print!("{}", registry::js_entry());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: incidentd-manifest js-entry");
            ExitCode::from(2)
        }
    }
}
