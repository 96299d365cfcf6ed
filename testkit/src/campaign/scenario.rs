//! One scenario from one seed: which integrations are on, the fault plan, and a random
//! incident lifecycle made of the API's commands (valid and invalid ones alike), interleaved
//! with alarm passes, drains and dead-letter replays. The same seed always gives the same
//! scenario.

use super::faults::FaultPlan;
use super::isolation::Isolation;
use incidentd_core::model::{AffectedService, AffectionStatus, Impact, Service, Severity, Status};
use incidentd_core::Command;

/// The tenant's service catalog in every scenario (what an affection may name).
pub fn catalog() -> Vec<Service> {
    ["api", "checkout"]
        .into_iter()
        .map(|id| Service {
            id: id.into(),
            name: id.to_uppercase(),
        })
        .collect()
}

/// One thing the scenario does, in order. Incidents are numbered in declaration order.
#[derive(Clone, Debug)]
pub enum Action {
    Declare,
    /// A command sent through the typed handle, as the dashboard API sends it.
    Apply {
        incident: usize,
        command: Command,
    },
    /// One alarm pass of the incident's object, now.
    Alarm {
        incident: usize,
    },
    /// Everything due runs, the virtual clock jumping to each next alarm.
    Drain,
    /// An operator replays the incident's dead letters (faults may still be on).
    ReplayDeadLetters {
        incident: usize,
    },
}

/// The integrations configured for the tenant.
#[derive(Clone, Copy, Debug)]
pub struct Integrations {
    pub slack: bool,
    pub webhook: bool,
    /// A language model (the fake LLM): triage, prompt answers, agent turns, postmortems.
    pub model: bool,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub integrations: Integrations,
    pub faults: FaultPlan,
    /// One integration in trouble and no other fault: played twice, healthy and troubled.
    pub isolation: Option<Isolation>,
    pub actions: Vec<Action>,
}

impl Scenario {
    pub fn generate(seed: u64) -> Scenario {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut integrations = Integrations {
            slack: rng.u32(0..100) < 60,
            webhook: rng.u32(0..100) < 70,
            model: false,
        };
        let mut faults = FaultPlan::generate(&mut rng);
        let mut actions = vec![Action::Declare];
        let mut declared = 1;
        for _ in 0..rng.usize(4..=16) {
            let incident = rng.usize(0..declared);
            let action = match rng.u32(0..100) {
                0..=7 if declared < 3 => {
                    declared += 1;
                    Action::Declare
                }
                0..=59 => Action::Apply {
                    incident,
                    command: command(&mut rng),
                },
                60..=74 => Action::Alarm { incident },
                75..=91 => Action::Drain,
                _ => Action::ReplayDeadLetters { incident },
            };
            actions.push(action);
        }
        // Drawn last, so the draws before them (and older seeds' scenarios) stay as they were.
        faults.event_lost_percent = if rng.u32(0..100) < 30 {
            rng.u32(5..=30)
        } else {
            0
        };
        integrations.model = rng.u32(0..100) < 60;
        faults.llm_fault_percent = if rng.u32(0..100) < 50 {
            rng.u32(5..=40)
        } else {
            0
        };
        faults.webhook_outage = rng.u32(0..100) < 5 && integrations.webhook;
        let isolation = Isolation::draw(&mut rng, integrations.slack, integrations.webhook);
        if isolation.is_some() {
            faults = FaultPlan::none();
        }
        Scenario {
            seed,
            integrations,
            faults,
            isolation,
            actions,
        }
    }

    /// The same scenario with its troubled integration healthy (the isolation twin).
    pub fn healthy(&self) -> Scenario {
        Scenario {
            isolation: None,
            ..self.clone()
        }
    }

    pub fn incidents(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::Declare))
            .count()
    }
}

fn pick<T: Clone>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(0..items.len())].clone()
}

/// A random command: mostly plausible, some refused by the object (bad transitions, empty
/// or oversized text, unknown services), some duplicates (message and prompt ids repeat).
fn command(rng: &mut fastrand::Rng) -> Command {
    let text = |rng: &mut fastrand::Rng| match rng.u32(0..100) {
        0..=6 => String::new(),
        7..=9 => "x".repeat(4_001),
        _ => pick(
            rng,
            &["rolled back", "looking at logs", "error rate normal"],
        )
        .to_owned(),
    };
    match rng.u32(0..100) {
        0..=14 => Command::SetSeverity {
            severity: pick(rng, &[Severity::Low, Severity::Medium, Severity::High]),
        },
        15..=24 => Command::SetAssignee {
            assignee: match rng.u32(0..10) {
                0..=1 => None,
                2 => Some("u".repeat(201)),
                _ => Some(format!("u{}", rng.u32(1..4))),
            },
        },
        25..=49 => Command::UpdateStatus {
            status: pick(
                rng,
                &[
                    Status::Open,
                    Status::Mitigating,
                    Status::Mitigating,
                    Status::Resolved,
                    Status::Declined,
                ],
            ),
            message: text(rng),
        },
        50..=69 => Command::AddMessage {
            message: text(rng),
            message_id: format!("m{}", rng.u32(0..4)),
            user_id: "u1".into(),
        },
        70..=79 => Command::CreateAffection {
            title: "Checkout degraded".into(),
            services: vec![AffectedService {
                id: pick(rng, &["api", "checkout", "unknown-service"]).into(),
                impact: pick(rng, &[Impact::Partial, Impact::Major]),
            }],
            message: text(rng),
            created_by: "u1".into(),
        },
        80..=89 => Command::UpdateAffection {
            message: text(rng),
            status: pick(
                rng,
                &[
                    None,
                    Some(AffectionStatus::Investigating),
                    Some(AffectionStatus::Mitigating),
                    Some(AffectionStatus::Resolved),
                ],
            ),
            services: None,
            created_by: "u1".into(),
        },
        _ => Command::AddPrompt {
            prompt: text(rng),
            prompt_id: format!("p{}", rng.u32(0..3)),
            user_id: "u1".into(),
        },
    }
}
