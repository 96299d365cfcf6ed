//! The seeded fault campaign at CI size: 200 fixed seeds over the whole native pipeline
//! (see `incidentd_workflows::campaign`). The full run is the `incidentd-campaign` binary.
//!
//! One defect the campaign found in the Slack sender is not fixed yet; the seeds among these
//! 200 that meet it are listed in `KNOWN_OPEN` with its diagnosis, and every other seed must
//! hold every invariant. A fix makes its seeds pass: this test then fails until
//! they are removed from the list, so the list can only shrink.

use incidentd_workflows::campaign::{reproduction, run_many};

/// `(seed, what its violations say)`: each seed's violations all contain one of these.
const KNOWN_OPEN: &[(u64, &str)] = &[(50, ORPHAN_CHANNEL), (105, ORPHAN_CHANNEL)];

/// A lost `conversations.create` answer (a timeout) leaves a channel nobody records; the
/// retry finds the name taken and creates the suffixed one (`slack::channel::create` cannot
/// look a channel up by name: `conversations.list` is not wired).
const ORPHAN_CHANNEL: &str = "was created for no incident";

#[test]
fn two_hundred_seeded_scenarios_hold_every_invariant() {
    let summary = run_many(1, 200, 2);
    println!("{summary}");
    assert!(summary.commands > 500, "{summary}");
    assert!(summary.faults.iter().sum::<u64>() > 500, "{summary}");
    let mut unexpected = Vec::new();
    for (seed, violations) in &summary.failures {
        let known = KNOWN_OPEN
            .iter()
            .any(|(s, why)| s == seed && violations.iter().any(|v| v.contains(why)))
            && violations
                .iter()
                .all(|v| v.contains(ORPHAN_CHANNEL) || is_consequence(v));
        if !known {
            unexpected.push(format!(
                "seed {seed}: {violations:#?}\n  reproduce: {}",
                reproduction(*seed)
            ));
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    let failing: Vec<u64> = summary.failures.iter().map(|(s, _)| *s).collect();
    for (seed, why) in KNOWN_OPEN {
        assert!(
            failing.contains(seed),
            "seed {seed} ({why}) passes now: remove it from KNOWN_OPEN"
        );
    }
}

/// Violations that follow from the defect above in the same scenario (the orphan
/// channel's incident has no announcement in its recorded channel, say).
fn is_consequence(violation: &str) -> bool {
    violation.contains("no Slack announcement") || violation.contains("without a Slack channel")
}
