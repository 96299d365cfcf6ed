//! Runs scenarios: builds the world, plays the actions, settles (faults cleared, dead letters
//! replayed, everything drained), then checks the invariants. Many scenarios run on a few
//! threads, each thread owning its worlds (the pipeline is single-threaded by design).

use super::faults::{FaultCounts, KINDS};
use super::invariants::{self, AiSeen};
use super::isolation;
use super::ledger::{Ledger, Snapshot};
use super::scenario::{catalog, Action, Scenario};
use super::world::World;
use crate::pipeline::Pipeline;
use incidentd_core::model::Actor;
use incidentd_core::{Idempotency, IncidentView};
use pollster::block_on;
use sluice::sql::SqlStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The actor of every campaign command: its events are told apart from the system's.
pub const CAMPAIGN_USER: &str = "campaign";

/// Rounds of "replay every dead letter, drain" while settling (faults are off by then).
const SETTLE_ROUNDS: usize = 4;

/// What one scenario did and found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub seed: u64,
    pub commands: u64,
    pub accepted: u64,
    pub refused: u64,
    pub effects_checked: u64,
    pub ai: AiSeen,
    pub faults: [u64; KINDS.len()],
    pub violations: Vec<String>,
}

/// The incident's record while its object holds it.
pub fn live_view(p: &Pipeline, id: &str) -> Option<IncidentView> {
    p.incidents.object(id).object.state().ok().flatten()?;
    block_on(p.handle(id).get()).ok()
}

/// The timeline's length and newest event, read from the object's storage (cheaper than the
/// whole view, and taken around every command); `None` once the storage was deleted.
fn snapshot_of(p: &Pipeline, id: &str) -> Snapshot {
    let object = p.incidents.object(id);
    let state = object.object.state().ok().flatten()?;
    let rows = object
        .object
        .store()
        .query("SELECT count(*) AS n FROM outbox", &[])
        .ok()?;
    let events = rows.first()?.get("n")?.as_u64()? as usize;
    Some((events, state.last_event_id))
}

fn replay_dead_letters(world: &World, id: &str) {
    let p = &world.pipeline;
    if live_view(p, id).is_none() {
        return;
    }
    for dead in block_on(p.handle(id).dead_letters()).unwrap_or_default() {
        if block_on(p.handle(id).replay(dead.event_id)).is_ok() {
            world.counts.add("dead letter replayed");
            world
                .replayed
                .borrow_mut()
                .insert((id.to_owned(), dead.event_id));
        }
    }
}

fn play(world: &World, scenario: &Scenario, ledger: &mut Ledger) {
    let p = &world.pipeline;
    for action in &scenario.actions {
        match action {
            Action::Declare => {
                let n = ledger.ids.len() + 1;
                ledger.ids.push(p.declare_with_services(
                    &format!("checkout failing #{n}: orders return 500"),
                    catalog(),
                ));
            }
            Action::Apply { incident, command } => {
                let id = ledger.ids[*incident].clone();
                let before = snapshot_of(p, &id);
                let outcome = block_on(p.handle(&id).apply(
                    Actor::user(CAMPAIGN_USER),
                    command.clone(),
                    Idempotency::None,
                ));
                let after = snapshot_of(p, &id);
                ledger.record(&id, command, &outcome, before, after);
            }
            Action::Alarm { incident } => {
                let id = &ledger.ids[*incident];
                if live_view(p, id).is_some() {
                    p.alarm(id);
                }
            }
            Action::Drain => p.drain(),
            Action::ReplayDeadLetters { incident } => {
                replay_dead_letters(world, &ledger.ids[*incident]);
            }
        }
    }
}

/// An operator retries the incident's failed effects (after an outage, say).
fn retry_failed_effects(world: &World, id: &str) {
    let p = &world.pipeline;
    if live_view(p, id).is_none() {
        return;
    }
    for failed in block_on(p.handle(id).failed_effects()).unwrap_or_default() {
        if block_on(p.handle(id).retry_effect(failed.event_id, &failed.effect)).is_ok() {
            world.counts.add("failed effect retried");
        }
    }
}

/// Drains with the faults on, clears them, then replays dead letters and retries failed
/// effects until none is left.
fn settle(world: &World, ledger: &Ledger) {
    world.pipeline.drain();
    world.clear_faults();
    for _ in 0..SETTLE_ROUNDS {
        for id in &ledger.ids {
            replay_dead_letters(world, id);
            retry_failed_effects(world, id);
        }
        world.pipeline.drain();
    }
}

/// Runs the scenario of `seed`; `verbose` prints what it does.
pub fn run_scenario(seed: u64, verbose: bool) -> Outcome {
    let scenario = Scenario::generate(seed);
    if verbose {
        eprintln!(
            "seed {seed}: {:?} {:?}",
            scenario.integrations, scenario.faults
        );
        for action in &scenario.actions {
            let mut line = format!("{action:?}");
            if line.len() > 160 {
                line = format!("{}… ({} characters)", &line[..160], line.len());
            }
            eprintln!("  {line}");
        }
    }
    let counts = Arc::new(FaultCounts::default());
    let mut ledger = Ledger::default();
    let mut effects_checked = 0;
    let mut ai = AiSeen::default();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // An isolation scenario is played healthy first: the lanes' delivery times to beat.
        let healthy = scenario.isolation.map(|_| {
            counts.add("isolation twin");
            let twin = scenario.healthy();
            let world = World::start(&twin, counts.clone());
            let mut twin_ledger = Ledger::default();
            play(&world, &twin, &mut twin_ledger);
            settle(&world, &twin_ledger);
            isolation::deliveries(&world, &twin_ledger.ids)
        });
        let world = World::start(&scenario, counts.clone());
        play(&world, &scenario, &mut ledger);
        settle(&world, &ledger);
        let mut found = invariants::check(&world, &ledger);
        if let (Some(healthy), Some(isolation)) = (&healthy, scenario.isolation) {
            let troubled = isolation::deliveries(&world, &ledger.ids);
            found
                .violations
                .extend(isolation::compare(healthy, &troubled, isolation));
        }
        if verbose && !found.violations.is_empty() {
            dump_instances(&world);
        }
        effects_checked = found.effects_checked;
        ai = found.ai;
        found.violations
    }));
    let mut violations = std::mem::take(&mut ledger.violations);
    match result {
        Ok(found) => violations.extend(found),
        Err(panic) => violations.push(format!("panicked: {}", panic_message(&panic))),
    }
    if verbose {
        for v in &violations {
            eprintln!("  VIOLATION {v}");
        }
    }
    Outcome {
        seed,
        commands: ledger.commands,
        accepted: ledger.accepted.len() as u64,
        refused: ledger.refused,
        effects_checked,
        ai,
        faults: counts.snapshot(),
        violations,
    }
}

/// Every workflow instance with its status and step records, to see where an effect went.
fn dump_instances(world: &World) {
    for engine in world.pipeline.engines() {
        for id in engine.instance_ids() {
            eprintln!("  instance {id}: {:?}", engine.instance_status(&id));
            for record in engine.step(&id).map(|s| s.records()).unwrap_or_default() {
                eprintln!("    {record:?}");
            }
        }
        for (id, event) in engine.undelivered() {
            eprintln!("  undelivered to {id}: {event}");
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a non-text panic".into())
}

/// Totals over many scenarios.
#[derive(Debug, Default)]
pub struct Summary {
    pub scenarios: u64,
    pub commands: u64,
    pub accepted: u64,
    pub refused: u64,
    pub effects_checked: u64,
    pub ai: AiSeen,
    pub faults: [u64; KINDS.len()],
    /// `(seed, violations)` of each failing scenario.
    pub failures: Vec<(u64, Vec<String>)>,
    pub elapsed: Duration,
}

impl Summary {
    fn add(&mut self, outcome: Outcome) {
        self.scenarios += 1;
        self.commands += outcome.commands;
        self.accepted += outcome.accepted;
        self.refused += outcome.refused;
        self.effects_checked += outcome.effects_checked;
        self.ai.add(outcome.ai);
        for (total, n) in self.faults.iter_mut().zip(outcome.faults) {
            *total += n;
        }
        if !outcome.violations.is_empty() {
            self.failures.push((outcome.seed, outcome.violations));
        }
    }

    pub fn violations(&self) -> usize {
        self.failures.iter().map(|(_, v)| v.len()).sum()
    }

    /// Violations counted by kind (their text with ids and numbers blanked), most first.
    pub fn violations_by_kind(&self) -> Vec<(String, usize)> {
        let mut kinds = std::collections::BTreeMap::<String, usize>::new();
        for violation in self.failures.iter().flat_map(|(_, v)| v) {
            *kinds.entry(kind_of(violation)).or_default() += 1;
        }
        let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kinds
    }
}

/// A violation's text with every word that holds a digit (ids, event numbers, channel ids)
/// replaced by `#`, so violations of one kind read the same.
fn kind_of(violation: &str) -> String {
    let mut kind = String::with_capacity(violation.len());
    let mut word = String::new();
    let flush = |word: &mut String, kind: &mut String| {
        if word.bytes().any(|b| b.is_ascii_digit()) {
            kind.push('#');
        } else {
            kind.push_str(word);
        }
        word.clear();
    };
    for c in violation.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut kind);
            kind.push(c);
        }
    }
    flush(&mut word, &mut kind);
    kind
}

/// The command that replays one seed.
pub fn reproduction(seed: u64) -> String {
    format!(
        "cargo run --release -p incidentd-testkit --bin incidentd-campaign -- --seed {seed} --verbose"
    )
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "scenarios:            {}", self.scenarios)?;
        writeln!(
            f,
            "commands sent:        {} ({} accepted, {} refused or unchanged)",
            self.commands,
            self.accepted,
            self.commands - self.accepted
        )?;
        writeln!(f, "effects checked:      {}", self.effects_checked)?;
        let ai = &self.ai;
        writeln!(
            f,
            "AI:                   {} scenarios with a model, {} model calls; triage changed {} incidents, noted {}; {} agent replies; {} suggestions; {} postmortems",
            ai.with_model, ai.model_calls, ai.triaged, ai.triage_notes, ai.agent_replies, ai.suggestions, ai.postmortems
        )?;
        writeln!(
            f,
            "faults injected:      {}",
            self.faults.iter().sum::<u64>()
        )?;
        for (kind, n) in KINDS.iter().zip(self.faults) {
            writeln!(f, "  {kind:<22}{n}")?;
        }
        writeln!(
            f,
            "invariant violations: {} in {} scenarios",
            self.violations(),
            self.failures.len()
        )?;
        for (kind, n) in self.violations_by_kind() {
            writeln!(f, "  {n:>6}  {kind}")?;
        }
        writeln!(
            f,
            "elapsed:              {:.1} s",
            self.elapsed.as_secs_f64()
        )?;
        for (seed, violations) in self.failures.iter().take(20) {
            writeln!(f, "FAILED seed {seed}: {}", violations[0])?;
            writeln!(f, "  reproduce: {}", reproduction(*seed))?;
        }
        Ok(())
    }
}

/// Runs the scenarios of seeds `first..first + count` on `threads` threads.
pub fn run_many(first: u64, count: u64, threads: usize) -> Summary {
    let started = Instant::now();
    let threads = threads.max(1) as u64;
    let outcomes: Vec<Vec<Outcome>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (first + t..first + count)
                        .step_by(threads as usize)
                        .map(|seed| run_scenario(seed, false))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a campaign thread"))
            .collect()
    });
    let mut summary = Summary::default();
    let mut all: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    all.sort_by_key(|o| o.seed);
    for outcome in all {
        summary.add(outcome);
    }
    summary.elapsed = started.elapsed();
    summary
}

#[cfg(test)]
mod tests {
    use super::kind_of;

    #[test]
    fn violations_of_one_kind_read_the_same() {
        assert_eq!(
            kind_of("Slack channel C00000001 was created for no incident (a duplicate)"),
            kind_of("Slack channel C00000006 was created for no incident (a duplicate)"),
        );
        assert_eq!(
            kind_of("2e50: step slack.status_update:2 failed for good"),
            "#: step slack.status_update:# failed for good"
        );
    }
}
