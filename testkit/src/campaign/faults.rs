//! The fault plan of a scenario and how it is installed: forwarder failures (up to dead
//! letters), lost answers from the Workflows API (so the forwarder delivers an event twice),
//! crashes at step boundaries and inside effects, and 500 / 429 / timeouts from the fake Slack,
//! the webhook receiver and the fake LLM. Every fault is drawn from a generator seeded by the
//! scenario, and counted by kind.
//!
//! Fault budgets keep each integration's faults per scenario below its step's retry limit
//! (Slack and the webhook retry 5 times, the model steps 3 times or more), so a missing
//! effect is a bug, not bad luck. Two faults are meant to go further: the forwarder's (up to
//! dead letters) and a webhook outage (up to failed effects); settling replays and retries
//! them.

use crate::{FakeReply, Fault};
use sluice::native::{CrashPoint, NativeStep, Scripted};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a timed-out call waits for its answer (the services' timeout cap) and how late
/// the fake answers: the call takes effect, the client gives up first.
/// Generous enough that a loaded machine never times out a call by itself.
pub const TIMEOUT_CAP_MS: u64 = 100;
pub const SLOW_ANSWER_MS: u64 = 130;

#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Percent of forward calls (create / send_event) the engine refuses.
    pub forward_fail_percent: u32,
    /// Percent of accepted forward calls whose answer is lost (the event is delivered again).
    pub lost_answer_percent: u32,
    /// Percent of accepted `send_event` calls whose event the engine then loses (as the local
    /// engine can when killed): the first send of each message to an instance, `last` ones
    /// and replayed dead letters included.
    pub event_lost_percent: u32,
    /// Percent of crash points (before, inside, after each effect) that crash the run.
    pub crash_percent: u32,
    /// Most crashes per workflow instance (a rule must let the run finish).
    pub crashes_per_instance: u32,
    /// Percent of Slack calls that fail, and the most failures per scenario.
    pub slack_fault_percent: u32,
    pub slack_fault_budget: u32,
    pub webhook_fault_percent: u32,
    pub webhook_fault_budget: u32,
    /// Percent of model calls that fail, and the most failures per scenario: below the
    /// retries of the model steps (prompt, agent turn and review retry 3 times or more).
    pub llm_fault_percent: u32,
    pub llm_fault_budget: u32,
    /// The webhook receiver answers 500 or 429 to everything until the faults are cleared:
    /// its step fails for good, the effect is listed failed, and settling retries it.
    pub webhook_outage: bool,
    /// Percent of HTTP faults that are timeouts (the rest: 500 or 429 + Retry-After).
    pub timeout_percent: u32,
}

impl FaultPlan {
    pub fn generate(rng: &mut fastrand::Rng) -> FaultPlan {
        let mut maybe = |chance: u32, range: std::ops::RangeInclusive<u32>| {
            if rng.u32(0..100) < chance {
                rng.u32(range)
            } else {
                0
            }
        };
        let forward_fail_percent = maybe(40, 10..=60);
        let lost_answer_percent = maybe(35, 5..=30);
        let crash_percent = maybe(60, 2..=15);
        let slack_fault_percent = maybe(50, 5..=40);
        let webhook_fault_percent = maybe(50, 5..=40);
        let timeout_percent = maybe(30, 5..=25);
        FaultPlan {
            forward_fail_percent,
            lost_answer_percent,
            crash_percent,
            crashes_per_instance: 4,
            slack_fault_percent,
            slack_fault_budget: 4,
            webhook_fault_percent,
            webhook_fault_budget: 4,
            timeout_percent,
            // Drawn by the scenario after everything else (see `Scenario::generate`).
            event_lost_percent: 0,
            llm_fault_percent: 0,
            llm_fault_budget: 3,
            webhook_outage: false,
        }
    }
}

impl FaultPlan {
    /// No fault at all (an isolation scenario's plan: its one trouble is installed apart).
    pub fn none() -> FaultPlan {
        FaultPlan {
            crashes_per_instance: 4,
            slack_fault_budget: 4,
            webhook_fault_budget: 4,
            llm_fault_budget: 3,
            ..FaultPlan::default()
        }
    }
}

/// Faults injected, by kind (shared with the fakes' server threads).
pub const KINDS: [&str; 19] = [
    "forward refused",
    "forward answer lost",
    "event lost by engine",
    "crash before effect",
    "crash inside effect",
    "crash after step",
    "slack 500",
    "slack 429",
    "slack timeout",
    "webhook 500",
    "webhook 429",
    "webhook timeout",
    "llm 500",
    "llm 429",
    "llm timeout",
    "dead letter replayed",
    "webhook outage",
    "failed effect retried",
    "isolation twin",
];

#[derive(Default)]
pub struct FaultCounts([AtomicU64; KINDS.len()]);

impl FaultCounts {
    pub fn add(&self, kind: &str) {
        let i = KINDS
            .iter()
            .position(|k| *k == kind)
            .expect("a known fault kind");
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> [u64; KINDS.len()] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// Draws an HTTP fault for one call, within a budget: `None` when the call goes through.
/// Owned by one fake's server thread (its own generator, seeded from the scenario).
pub struct HttpFaults {
    rng: fastrand::Rng,
    percent: u32,
    timeout_percent: u32,
    budget: u32,
    /// Every fault is of this trouble (an isolation scenario).
    only: Option<super::isolation::Trouble>,
}

/// One drawn HTTP fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFault {
    ServerError,
    RateLimited {
        retry_after_secs: u64,
    },
    /// The call takes effect; its answer comes after the client gave up.
    Timeout,
}

impl HttpFault {
    pub fn kind(self, service: &str) -> String {
        match self {
            HttpFault::ServerError => format!("{service} 500"),
            HttpFault::RateLimited { .. } => format!("{service} 429"),
            HttpFault::Timeout => format!("{service} timeout"),
        }
    }

    pub fn slack(self) -> Fault {
        match self {
            HttpFault::ServerError => Fault::ServerError,
            HttpFault::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            HttpFault::Timeout => Fault::Slow(std::time::Duration::from_millis(SLOW_ANSWER_MS)),
        }
    }

    /// The fake LLM's answer; `valid` is what it answers when the call goes through (a
    /// timed-out call did the work, and billed it, before the client gave up).
    pub fn llm(self, valid: FakeReply) -> FakeReply {
        match self {
            HttpFault::ServerError => FakeReply::Status {
                status: 500,
                kind: "server_error".into(),
            },
            HttpFault::RateLimited { retry_after_secs } => {
                FakeReply::RateLimited { retry_after_secs }
            }
            HttpFault::Timeout => FakeReply::slow(SLOW_ANSWER_MS, valid),
        }
    }

    /// The webhook receiver's answer (`Timeout` is answered late by the caller).
    pub fn scripted(self) -> Scripted {
        match self {
            HttpFault::ServerError => Scripted::status(500),
            HttpFault::RateLimited { retry_after_secs } => {
                Scripted::status(429).header("retry-after", &retry_after_secs.to_string())
            }
            HttpFault::Timeout => Scripted::status(200),
        }
    }
}

impl HttpFaults {
    pub fn new(seed: u64, percent: u32, timeout_percent: u32, budget: u32) -> Self {
        HttpFaults {
            rng: fastrand::Rng::with_seed(seed),
            percent,
            timeout_percent,
            budget,
            only: None,
        }
    }

    /// Every call fails with `trouble` until [`stop`](Self::stop).
    pub fn trouble(seed: u64, trouble: super::isolation::Trouble) -> Self {
        HttpFaults {
            only: Some(trouble),
            ..Self::new(seed, 100, 0, u32::MAX)
        }
    }

    /// Every call fails (500 or 429), with no timeouts, until [`stop`](Self::stop).
    pub fn outage(seed: u64) -> Self {
        Self::new(seed, 100, 0, u32::MAX)
    }

    pub fn draw(&mut self) -> Option<HttpFault> {
        if self.budget == 0 || self.rng.u32(0..100) >= self.percent {
            return None;
        }
        self.budget -= 1;
        use super::isolation::Trouble;
        Some(match self.only {
            Some(Trouble::Down) => HttpFault::ServerError,
            Some(Trouble::Slow) => HttpFault::Timeout,
            Some(Trouble::RateLimited) => HttpFault::RateLimited {
                retry_after_secs: self.rng.u64(1..=30),
            },
            None => self.drawn_kind(),
        })
    }

    fn drawn_kind(&mut self) -> HttpFault {
        if self.rng.u32(0..100) < self.timeout_percent {
            HttpFault::Timeout
        } else if self.rng.bool() {
            HttpFault::ServerError
        } else {
            HttpFault::RateLimited {
                retry_after_secs: self.rng.u64(1..=30),
            }
        }
    }

    /// No more faults (the scenario's faults are cleared before it settles).
    pub fn stop(&mut self) {
        self.budget = 0;
    }
}

/// Installs a crash schedule on each new workflow instance's step: at each crash point, a
/// draw from the scenario's generator, at most `crashes_per_instance` times per instance.
pub fn crash_schedule(
    plan: &FaultPlan,
    rng: Rc<RefCell<fastrand::Rng>>,
    counts: std::sync::Arc<FaultCounts>,
) -> impl Fn(&str, &NativeStep) + 'static {
    let (percent, budget) = (plan.crash_percent, plan.crashes_per_instance);
    move |_, step| {
        if percent == 0 {
            return;
        }
        let left = Cell::new(budget);
        let (rng, counts) = (rng.clone(), counts.clone());
        step.crash_when(move |point, _, _| {
            if left.get() == 0 || rng.borrow_mut().u32(0..100) >= percent {
                return false;
            }
            left.set(left.get() - 1);
            counts.add(match point {
                CrashPoint::BeforeEffect => "crash before effect",
                CrashPoint::AfterEffect => "crash inside effect",
                CrashPoint::AfterRecord => "crash after step",
            });
            true
        });
    }
}
