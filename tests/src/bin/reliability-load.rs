//! The full-size load with failing integrations on local workerd (see
//! `incidentd_e2e::reliability`): 50 incidents × 40 changes from 16 threads while the fake
//! Slack fails 10% of calls with 500 and 5% with 429, and the webhook receiver is slow; with
//! `--kill`, workerd is SIGKILLed mid-load and restarted on the same state. Prints the figures
//! and every invariant violation; exits 1 when there is one.
//!
//! ```sh
//! scripts/build
//! cargo run --release -p incidentd-e2e --bin reliability-load -- [--kill] [--seed N]
//!     [--incidents N] [--changes N] [--threads N]
//! ```

use incidentd_e2e::reliability::{run, LoadConfig};
use incidentd_e2e::DevServer;

fn main() {
    let mut config = LoadConfig::full();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> u64 {
            let value = args
                .next()
                .unwrap_or_else(|| usage(&format!("{what} needs a value")));
            let parsed = match value.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => value.parse(),
            };
            parsed.unwrap_or_else(|_| usage(&format!("{what}: not a number: {value}")))
        };
        match arg.as_str() {
            "--kill" => config = config.with_kill(),
            "--seed" => config.seed = number("--seed"),
            "--incidents" => config.incidents = number("--incidents") as usize,
            "--changes" => config.changes_per_incident = number("--changes") as usize,
            "--threads" => config.threads = number("--threads") as usize,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    println!("server: {}", DevServer::from_env().describe());
    let report = run("reliability-load", &config);
    println!("{}", report.figures);
    if report.problems.is_empty() {
        println!("invariant violations: 0");
    } else {
        println!("invariant violations: {}", report.problems.len());
        for problem in &report.problems {
            println!("- {problem}");
        }
        std::process::exit(1);
    }
}

fn usage(error: &str) -> ! {
    eprintln!("reliability-load: {error}\nusage: reliability-load [--kill] [--seed N] [--incidents N] [--changes N] [--threads N]");
    std::process::exit(2);
}
