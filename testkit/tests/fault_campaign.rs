//! The seeded fault campaign at CI size: 200 fixed seeds over the whole native pipeline
//! (see `incidentd_workflows::campaign`). The full run is the `incidentd-campaign` binary.
//! Every seed must hold every invariant; a failing one is printed with the command that
//! reproduces it.

use incidentd_testkit::campaign::{reproduction, run_many, run_scenario};

#[test]
fn two_hundred_seeded_scenarios_hold_every_invariant() {
    let summary = run_many(1, 200, 4);
    println!("{summary}");
    assert!(summary.commands > 500, "{summary}");
    assert!(summary.faults.iter().sum::<u64>() > 500, "{summary}");
    let failing: Vec<String> = summary
        .failures
        .iter()
        .map(|(seed, violations)| {
            format!(
                "seed {seed}: {violations:#?}\n  reproduce: {}",
                reproduction(*seed)
            )
        })
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
}

/// Seeds of the full run that found defects outside the first 200, kept as regressions:
/// - 4524: a `last` message whose answer was lost left its generation open, and a replayed
///   dead letter was sent to the instance that had ended;
/// - 6837, 7578: an earlier generation's report of the same `last` event finalised the
///   incident before the new generation had handled the replayed dead letter;
/// - 253, 1126: an event lost by the engine just before the close's refused `last` forward
///   moved the incident to a new generation; the old one never saw a later event;
/// - 6368: a replayed dead letter lost by the engine, then newer events (no gap revealed it).
#[test]
fn seeds_that_found_defects_hold_every_invariant() {
    for seed in [4524, 6837, 7578, 253, 1126, 6368] {
        let outcome = run_scenario(seed, false);
        assert!(outcome.commands > 0, "seed {seed} ran nothing");
        assert!(
            outcome.violations.is_empty(),
            "seed {seed}: {:#?}\n  reproduce: {}",
            outcome.violations,
            reproduction(seed)
        );
    }
}
