//! The seeded fault campaign on the native host (see `incidentd_testkit::campaign`).
//!
//! ```sh
//! cargo run --release -p incidentd-testkit --bin incidentd-campaign -- --scenarios 10000
//! cargo run --release -p incidentd-testkit --bin incidentd-campaign -- --seed 1234 --verbose
//! ```
//!
//! Options: `--scenarios N` (default 10000), `--first-seed S` (default 1), `--threads T`
//! (default twice the cores: a scenario spends much of its time waiting for calls the fakes
//! answer late, on purpose), `--seed S` (one scenario), `--verbose` (print its actions and
//! violations).
//! Exits 1 when any invariant was violated.

use incidentd_testkit::campaign::{reproduction, run_many, run_scenario};
use std::process::ExitCode;

struct Options {
    scenarios: u64,
    first_seed: u64,
    threads: usize,
    seed: Option<u64>,
    verbose: bool,
}

fn parse() -> Result<Options, String> {
    let mut options = Options {
        scenarios: 10_000,
        first_seed: 1,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
        seed: None,
        verbose: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--scenarios" => options.scenarios = value("--scenarios")?,
            "--first-seed" => options.first_seed = value("--first-seed")?,
            "--threads" => options.threads = value("--threads")? as usize,
            "--seed" => options.seed = Some(value("--seed")?),
            "--verbose" => options.verbose = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("incidentd-campaign: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = options.seed {
        let outcome = run_scenario(seed, options.verbose);
        println!(
            "seed {seed}: {} commands ({} accepted), {} effects checked, {} faults, {} violations",
            outcome.commands,
            outcome.accepted,
            outcome.effects_checked,
            outcome.faults.iter().sum::<u64>(),
            outcome.violations.len()
        );
        for v in &outcome.violations {
            println!("  {v}");
        }
        if !outcome.violations.is_empty() {
            println!("reproduce: {}", reproduction(seed));
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    let summary = run_many(options.first_seed, options.scenarios, options.threads);
    print!("{summary}");
    match summary.violations() {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
