//! Lane isolation: one integration in trouble (down, slow, or answering 429s) must delay only
//! its own lane. An isolation scenario has no other fault; it is played twice, with the
//! integration healthy and in trouble, and every other lane must deliver each event no later
//! (in virtual time, after its commit) than it did in the healthy run. Both runs also keep
//! every usual invariant: the troubled lane's held events are delivered, in order and once,
//! when settling retries them.

use super::world::World;
use crate::pipeline::Pipeline;
use incidentd_core::forward::generation_of;
use sluice::native::StepRecord;
use std::collections::BTreeMap;

/// What is wrong with the troubled integration, until the faults are cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// Every call answers 500.
    Down,
    /// Every call takes effect, and answers after the client gave up.
    Slow,
    /// Every call answers 429 with a `Retry-After`.
    RateLimited,
}

/// The integration in trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Troubled {
    Slack,
    Webhook,
}

impl Troubled {
    /// The effect (lane) this integration is delivered by.
    pub fn effect(self) -> &'static str {
        match self {
            Troubled::Slack => "slack",
            Troubled::Webhook => "webhook",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isolation {
    pub integration: Troubled,
    pub trouble: Trouble,
}

impl Isolation {
    /// One scenario in ten that has Slack or the webhook on is an isolation scenario.
    pub fn draw(rng: &mut fastrand::Rng, slack: bool, webhook: bool) -> Option<Isolation> {
        let candidates: Vec<Troubled> = [(slack, Troubled::Slack), (webhook, Troubled::Webhook)]
            .into_iter()
            .filter_map(|(on, integration)| on.then_some(integration))
            .collect();
        if candidates.is_empty() || rng.u32(0..100) >= 10 {
            return None;
        }
        let integration = candidates[rng.usize(0..candidates.len())];
        let trouble = [Trouble::Down, Trouble::Slow, Trouble::RateLimited][rng.usize(0..3)];
        Some(Isolation {
            integration,
            trouble,
        })
    }
}

/// `(incident, effect, event)` → how long after its commit the event was first delivered on
/// that lane (virtual milliseconds), over every `IncidentWorkflow` instance.
pub type Latencies = BTreeMap<(String, String, i64), i64>;

/// `(incident, event)` → the event's type and data: what makes an event of one twin the same
/// as the other's. The twins can diverge (the fake model's answers and the agent's debounce
/// depend on when calls happen), and only the same event is compared.
pub type Events = BTreeMap<(String, i64), String>;

/// One run's deliveries and the events they were of.
#[derive(Debug, Default)]
pub struct Deliveries {
    pub latencies: Latencies,
    pub events: Events,
}

/// Every lane delivery of the run: first-round deliveries only (an operator's retry is not a
/// latency), timed from the event's commit in the object's timeline.
pub fn deliveries(world: &World, ids: &[String]) -> Deliveries {
    let p = &world.pipeline;
    let (committed, events) = commit_times(p, ids);
    let mut delivered = Latencies::new();
    for instance in p.workflows.instance_ids() {
        let Some(incident) = ids.iter().find(|id| generation_of(id, &instance).is_some()) else {
            continue;
        };
        let Some(step) = p.workflows.step(&instance) else {
            continue;
        };
        for record in step.records() {
            let StepRecord::Attempt {
                name,
                at,
                error: None,
                ..
            } = record
            else {
                continue;
            };
            let Some((effect, event)) = first_round_delivery(&name) else {
                continue;
            };
            let Some(commit) = committed.get(&(incident.clone(), event)) else {
                continue;
            };
            let latency = at as i64 - commit;
            delivered
                .entry((incident.clone(), effect.to_owned(), event))
                .and_modify(|l| *l = (*l).min(latency))
                .or_insert(latency);
        }
    }
    Deliveries {
        latencies: delivered,
        events,
    }
}

/// `(effect, event id)` of a delivery step (`<effect>.<method>:<event>` or one of its
/// `#attempt-<n>` steps); `None` for other steps and for retries (`#retry-<round>`).
pub fn first_round_delivery(step: &str) -> Option<(&str, i64)> {
    let base = match step.rsplit_once("#attempt-") {
        Some((base, n)) if n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => step,
    };
    let (handler, event) = base.rsplit_once(':')?;
    let event = event.parse().ok()?;
    let (effect, _method) = handler.split_once('.')?;
    (!["lane", "incident", "triage"].contains(&effect)).then_some((effect, event))
}

fn commit_times(p: &Pipeline, ids: &[String]) -> (BTreeMap<(String, i64), i64>, Events) {
    let mut times = BTreeMap::new();
    let mut events = Events::new();
    for id in ids {
        let Some(view) = super::invariants::view_of(p, id) else {
            continue;
        };
        for entry in view.timeline {
            times.insert((id.clone(), entry.event_id), entry.at);
            events.insert(
                (id.clone(), entry.event_id),
                format!("{} {}", entry.event_type, entry.data),
            );
        }
    }
    (times, events)
}

/// Every lane but the troubled one delivered each event of the healthy run, no later (each
/// event both twins recorded alike).
pub fn compare(healthy: &Deliveries, troubled: &Deliveries, isolation: Isolation) -> Vec<String> {
    let mut violations = Vec::new();
    for ((incident, effect, event), before) in &healthy.latencies {
        let same_event = (incident.clone(), *event);
        if effect == isolation.integration.effect()
            || healthy.events.get(&same_event) != troubled.events.get(&same_event)
        {
            continue;
        }
        let key = (incident.clone(), effect.clone(), *event);
        match troubled.latencies.get(&key) {
            None => violations.push(format!(
                "{incident}: with {:?} {:?}, {effect} never delivered event {event} (healthy: after {before} ms)",
                isolation.integration, isolation.trouble
            )),
            Some(after) if after > before => violations.push(format!(
                "{incident}: with {:?} {:?}, {effect} delivered event {event} after {after} ms (healthy: {before} ms)",
                isolation.integration, isolation.trouble
            )),
            Some(_) => {}
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_steps_name_their_effect_and_event() {
        assert_eq!(
            first_round_delivery("slack.incident_created:3"),
            Some(("slack", 3))
        );
        assert_eq!(
            first_round_delivery("status_page.status_update:12#attempt-4"),
            Some(("status_page", 12))
        );
        assert_eq!(
            first_round_delivery("webhook.incident_created:1#retry-1"),
            None
        );
        assert_eq!(first_round_delivery("lane.report:abc:slack.x:1#held"), None);
        assert_eq!(first_round_delivery("triage.ask:abc:1"), None);
    }

    #[test]
    fn only_a_later_or_missing_delivery_on_another_lane_is_a_violation() {
        let isolation = Isolation {
            integration: Troubled::Slack,
            trouble: Trouble::Down,
        };
        let key = |effect: &str, event| ("i".to_owned(), effect.to_owned(), event);
        let events = |kind: &str| Events::from([(("i".to_owned(), 1), kind.to_owned())]);
        let run = |latencies: Latencies| Deliveries {
            latencies,
            events: events("MESSAGE_ADDED {}"),
        };
        let healthy = run(Latencies::from([
            (key("dashboard", 1), 0),
            (key("slack", 1), 0),
        ]));
        let same = run(Latencies::from([
            (key("dashboard", 1), 0),
            (key("slack", 1), 90_000),
        ]));
        assert!(compare(&healthy, &same, isolation).is_empty());
        let late = run(Latencies::from([(key("dashboard", 1), 5)]));
        assert_eq!(compare(&healthy, &late, isolation).len(), 1);
        assert_eq!(
            compare(&healthy, &run(Latencies::new()), isolation).len(),
            1
        );
        // The twins diverged: event 1 is another event in the troubled run, not compared.
        let diverged = Deliveries {
            latencies: Latencies::new(),
            events: events("SUGGESTION_ADDED {}"),
        };
        assert!(compare(&healthy, &diverged, isolation).is_empty());
    }
}
