//! Load with failing integrations, and a process kill, at CI size (8 incidents × 10 changes
//! from 8 threads; `reliability-load` runs the full size). The fake Slack fails 10% of calls
//! with 500 and 5% with 429 + Retry-After, the webhook receiver is slow; then every
//! acknowledged change is in its timeline once, the index converges, every Slack message
//! and webhook happened once, and every incident resolved after the load is archived and
//! analysed (`incidentd_e2e::reliability` says exactly what is counted).

use incidentd_e2e::reliability::{run, LoadConfig, Report};
use std::sync::Mutex;

/// One worker at a time: both tests are CPU-bound on two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn assert_clean(report: Report) {
    println!("{}", report.figures);
    assert!(
        report.problems.is_empty(),
        "{} invariant violations:\n{}",
        report.problems.len(),
        report.problems.join("\n")
    );
    assert_eq!(report.figures.duplicates_found, 0);
    assert!(report.figures.changes_acknowledged > 0);
    let closed = report.figures.incidents_closed;
    assert!(closed > 0, "some incidents were resolved");
    assert_eq!(report.figures.closed_archived, closed);
    assert_eq!(report.figures.closed_analysed, closed);
}

#[test]
fn under_load_with_failing_slack_and_a_slow_webhook_nothing_is_lost_or_doubled() {
    let _serial = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let report = run("reliability-load", &LoadConfig::ci());
    assert!(
        report.figures.slack_server_errors_injected > 0,
        "faults were injected"
    );
    assert_clean(report);
}

/// The instance recovers events the local engine lost in the kill (`incident.missed`, tail
/// re-sends); docs/RELIABILITY.md has the full-size runs.
#[test]
fn a_workerd_killed_mid_load_loses_nothing_acknowledged_and_doubles_no_effect() {
    let _serial = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let report = run("reliability-kill", &LoadConfig::ci().with_kill());
    let kill = report.figures.kill.as_ref().expect("the worker was killed");
    assert!(!kill.killed_pids.is_empty());
    assert_clean(report);
}
