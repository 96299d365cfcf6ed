//! The invariants checked once a scenario has settled:
//!
//! 1. every accepted change is in its incident's timeline exactly once (and nothing else of
//!    the campaign's actor is), every event published, none left dead;
//! 2. every external effect happened exactly once: the webhook's key reached the receiver
//!    (which deduplicates by it) and its reference came back; each Slack message (by its
//!    event metadata) exists once, in the one channel each incident has; each new prompt got
//!    one reply (with a model: the model's); triage recorded one outcome (a note, or its
//!    changes, each field once); no suggestion was made twice; no step of any workflow
//!    instance failed for good;
//! 3. nothing is stuck: a closed incident is archived and analysed (with a model: reviewed),
//!    an open one waits in its workflow instance; no instance errored, no event was lost;
//! 4. the D1 index and the status page converged to the object's state.

use super::ledger::Ledger;
use super::runner::{live_view, CAMPAIGN_USER};
use super::world::{reference, World};
use crate::pipeline::{Pipeline, TENANT};
use incidentd_adapters::dashboard::archive;
use incidentd_adapters::slack::incident_keys as slack_keys;
use incidentd_adapters::slack::outbound::blocks::part;
use incidentd_adapters::slack::outbound::metadata::PostedFor;
use incidentd_core::model::{event_type, ActorKind, AffectionStatus};
use incidentd_core::{IncidentView, SuggestionAdded, TriageNoted};
use incidentd_workflows::ai::budget::Unavailable;
use incidentd_workflows::prompt;
use pollster::block_on;
use serde_json::{json, Map, Value};
use sluice::native::{InstanceStatus, NativeWorkflows, StepRecord};
use sluice::sql::Database;
use sluice::EventKind;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Found {
    pub effects_checked: u64,
    pub ai: AiSeen,
    pub violations: Vec<String>,
}

/// What the AI features did in the scenarios (so a figure shows each path ran).
#[derive(Clone, Copy, Debug, Default)]
pub struct AiSeen {
    /// Scenarios with a model configured.
    pub with_model: u64,
    pub model_calls: u64,
    /// Incidents triage changed, and incidents it left with a note.
    pub triaged: u64,
    pub triage_notes: u64,
    pub agent_replies: u64,
    pub suggestions: u64,
    pub postmortems: u64,
}

impl AiSeen {
    pub fn add(&mut self, other: AiSeen) {
        self.with_model += other.with_model;
        self.model_calls += other.model_calls;
        self.triaged += other.triaged;
        self.triage_notes += other.triage_notes;
        self.agent_replies += other.agent_replies;
        self.suggestions += other.suggestions;
        self.postmortems += other.postmortems;
    }
}

impl Found {
    fn expect(&mut self, ok: bool, violation: impl FnOnce() -> String) {
        self.effects_checked += 1;
        if !ok {
            self.violations.push(violation());
        }
    }
}

/// The incident's final record (its object's, else the archive's).
pub(crate) fn view_of(p: &Pipeline, id: &str) -> Option<IncidentView> {
    final_view(p, id).map(|(view, _)| view)
}

/// The incident's final record: from its object, or from the archive once it deleted itself.
fn final_view(p: &Pipeline, id: &str) -> Option<(IncidentView, bool)> {
    if let Some(view) = live_view(p, id) {
        return Some((view, false));
    }
    let archived = block_on(archive::load(p.db.as_ref(), TENANT, id)).ok()??;
    Some((archived.view, true))
}

fn rows(p: &Pipeline, sql: &str, id: &str) -> Vec<Map<String, Value>> {
    block_on(p.db.query(sql, vec![id.into()])).unwrap_or_default()
}

pub fn check(world: &World, ledger: &Ledger) -> Found {
    let mut found = Found::default();
    let p = &world.pipeline;
    if let Some(model) = &world.model {
        found.ai.with_model = 1;
        found.ai.model_calls = model.fake.requests().len() as u64;
    }
    let mut views = BTreeMap::new();
    for id in &ledger.ids {
        match final_view(p, id) {
            Some((view, archived)) => {
                let model = world.model.is_some();
                check_incident(p, ledger, id, &view, archived, model, &mut found);
                check_ai(id, &view, model, &mut found);
                views.insert(id.clone(), view);
            }
            None => found
                .violations
                .push(format!("{id}: neither its object nor the archive holds it")),
        }
    }
    // An outage makes the webhook's steps fail for good, an isolation scenario its troubled
    // integration's: listed, then retried (checked per incident, and by the effect arriving).
    let mut may_fail: Vec<String> = Vec::new();
    if world.webhook_outage {
        may_fail.push("webhook.".into());
    }
    if let Some(troubled) = world.troubled {
        may_fail.push(format!("{}.", troubled.integration.effect()));
    }
    for engine in p.engines() {
        check_engine(
            engine,
            |step| {
                may_fail
                    .iter()
                    .any(|prefix| step.starts_with(prefix.as_str()))
            },
            &mut found,
        );
    }
    check_lane_order(world, &mut found);
    if let Some(webhook) = &world.webhook {
        check_webhook(webhook, &views, &mut found);
    }
    if let Some(slack) = &world.slack {
        check_slack(slack, &views, &mut found);
    }
    found
}

fn check_incident(
    p: &Pipeline,
    ledger: &Ledger,
    id: &str,
    view: &IncidentView,
    archived: bool,
    model: bool,
    found: &mut Found,
) {
    let timeline = &view.timeline;
    let ids: Vec<i64> = timeline.iter().map(|e| e.event_id).collect();
    found.expect(ids.iter().zip(1..).all(|(e, n)| *e == n), || {
        format!("{id}: timeline event ids are not 1..n: {ids:?}")
    });
    // 1. Accepted changes: each once, of its type; nothing else by the campaign's actor.
    let accepted: Vec<_> = ledger
        .accepted
        .iter()
        .filter(|a| a.incident == id)
        .collect();
    for a in &accepted {
        let hits: Vec<_> = timeline
            .iter()
            .filter(|e| e.event_id == a.event_id)
            .collect();
        found.expect(
            hits.len() == 1 && hits[0].event_type == a.event_type,
            || {
                format!(
                    "{id}: accepted event {} ({}) appears as {hits:?}",
                    a.event_id, a.event_type
                )
            },
        );
    }
    let by_campaign = timeline
        .iter()
        .filter(|e| {
            e.actor.as_ref().is_some_and(|a| {
                a.kind == ActorKind::User && a.id.as_deref() == Some(CAMPAIGN_USER)
            })
        })
        .count();
    found.expect(by_campaign == accepted.len(), || {
        format!(
            "{id}: {by_campaign} events by the campaign, {} accepted",
            accepted.len()
        )
    });
    if !archived {
        let failed = block_on(p.handle(id).failed_effects());
        found.expect(failed.as_ref().is_ok_and(Vec::is_empty), || {
            format!("{id}: failed effects left after settling: {failed:?}")
        });
    }
    for e in timeline {
        found.expect(e.published_at.is_some() && !e.dead_lettered, || {
            format!(
                "{id}: event {} ({}) not delivered after settling: {e:?}",
                e.event_id, e.event_type
            )
        });
    }
    // 2. One agent reply per new prompt (without a model it says so, once), unless the
    //    incident closed first and the prompt's run said so.
    for (_, prompt_id, event_id) in ledger.prompts.iter().filter(|(i, ..)| i == id) {
        let replies = timeline
            .iter()
            .filter(|e| {
                e.event_type == event_type::MESSAGE_ADDED
                    && e.data["message_id"] == json!(format!("agent:{prompt_id}"))
            })
            .count();
        let run = p
            .prompts
            .instance_status(&format!("prompt-{id}-{event_id}"));
        let closed_first = view.incident.status.is_terminal()
            && matches!(&run, Some(InstanceStatus::Complete(out)) if out["answered"] == false);
        found.expect(replies == 1 || (replies == 0 && closed_first), || {
            format!("{id}: prompt {prompt_id} (event {event_id}) got {replies} replies; its run: {run:?}")
        });
    }
    // 3. Not stuck.
    let state = &view.incident;
    let analysis = format!("analysis-{id}");
    if state.status.is_terminal() {
        found.expect(archived, || format!("{id}: closed but never archived"));
        // Model faults stay under the review's retries: with a model, a postmortem.
        let status = p.analysis.instance_status(&analysis);
        if matches!(&status, Some(InstanceStatus::Complete(out)) if out["postmortem"] == true) {
            found.ai.postmortems += 1;
        }
        found.expect(
            matches!(
                status,
                Some(InstanceStatus::Complete(out)) if !model || out["postmortem"] == true
            ),
            || {
                format!(
                    "{id}: closed, analysis is {:?}",
                    p.analysis.instance_status(&analysis)
                )
            },
        );
    } else {
        found.expect(!archived, || {
            format!("{id}: archived while {:?}", state.status)
        });
        let instance = block_on(p.handle(id).workflow_instance()).unwrap_or_default();
        found.expect(
            p.workflows.instance_status(&instance) == Some(InstanceStatus::Waiting),
            || {
                format!(
                    "{id}: open, its instance {instance} is {:?}",
                    p.workflows.instance_status(&instance)
                )
            },
        );
    }
    // 4. The index and the status page converged.
    let index = rows(
        p,
        "SELECT status, severity, title, assignee, last_event_id FROM incident_index WHERE id = ?",
        id,
    );
    // The index moves on the events its sender handles; the fields must match the state.
    let indexed = dashboard_events();
    let last_indexed = timeline
        .iter()
        .filter(|e| indexed.contains(e.event_type.as_str()))
        .map(|e| e.event_id)
        .max();
    let expected = json!({
        "status": state.status.as_str(), "severity": state.severity.as_str(),
        "title": state.title, "assignee": state.assignee, "last_event_id": last_indexed,
    });
    found.expect(
        index.len() == 1 && Value::Object(index[0].clone()) == expected,
        || format!("{id}: index {index:?}, object {expected}"),
    );
    check_status_page(p, id, view, found);
}

/// The AI features' own records: triage's one outcome, the prompt replies' origin, and
/// suggestions made once each.
fn check_ai(id: &str, view: &IncidentView, model: bool, found: &mut Found) {
    let timeline = &view.timeline;
    let mut by_triage: BTreeMap<&str, usize> = BTreeMap::new();
    for e in timeline.iter().filter(|e| {
        e.actor
            .as_ref()
            .is_some_and(|a| a.kind == ActorKind::Triage)
    }) {
        *by_triage.entry(e.event_type.as_str()).or_default() += 1;
    }
    let notes = by_triage.get(TriageNoted::EVENT_TYPE).copied().unwrap_or(0);
    let changes = by_triage.values().sum::<usize>() - notes;
    found.ai.triaged += u64::from(changes > 0);
    found.ai.triage_notes += notes as u64;
    // Without a model the note says so. With one, its proposal always changes the title
    // (campaign scenarios never edit details), so a success shows as changes.
    let one_outcome = if view.incident.status.is_terminal() {
        notes + changes.min(1) <= 1 // closed before triage ran, maybe
    } else {
        notes + changes.min(1) == 1
    };
    found.expect(one_outcome && by_triage.values().all(|n| *n == 1), || {
        format!("{id}: triage recorded {by_triage:?}")
    });
    if model {
        found.expect(!model_absent_note(timeline), || {
            format!("{id}: triage says there is no model")
        });
        for e in timeline.iter().filter(|e| {
            e.event_type == event_type::MESSAGE_ADDED
                && e.actor.as_ref().is_some_and(|a| a.kind == ActorKind::Agent)
        }) {
            let text = e.data["message"].as_str().unwrap_or_default();
            found.ai.agent_replies += 1;
            // Model faults stay under the agent's retries: every answer is the model's.
            found.expect(
                !text.starts_with(prompt::FAILED_REPLY)
                    && !text.starts_with(prompt::NO_MODEL_REPLY),
                || format!("{id}: the agent replied {text:?}"),
            );
        }
    }
    let mut keys = BTreeMap::<String, usize>::new();
    for e in timeline
        .iter()
        .filter(|e| e.event_type == event_type::SUGGESTION_ADDED)
    {
        match serde_json::from_value::<SuggestionAdded>(e.data.clone()) {
            Ok(s) => {
                found.ai.suggestions += 1;
                *keys.entry(s.dedupe_key).or_default() += 1;
            }
            Err(err) => found
                .violations
                .push(format!("{id}: suggestion {} unreadable: {err}", e.event_id)),
        }
    }
    found.expect(keys.values().all(|n| *n == 1), || {
        format!("{id}: suggestions made more than once: {keys:?}")
    });
}

/// Whether triage's note says no model is configured.
fn model_absent_note(timeline: &[incidentd_core::TimelineEntry]) -> bool {
    timeline.iter().any(|e| {
        e.event_type == TriageNoted::EVENT_TYPE
            && e.data["message"]
                .as_str()
                .is_some_and(|m| m.contains(&Unavailable::NoModel.to_string()))
    })
}

/// The event types the dashboard index's sender handles.
fn dashboard_events() -> BTreeSet<&'static str> {
    sluice::registry::effects(incidentd_workflows::incident::CLASS)
        .into_iter()
        .filter(|e| e.name == "dashboard")
        .flat_map(|e| e.handlers.iter().map(|h| h.event))
        .collect()
}

fn check_status_page(p: &Pipeline, id: &str, view: &IncidentView, found: &mut Found) {
    let public = rows(
        p,
        "SELECT status FROM status_incident WHERE incident_id = ?",
        id,
    );
    let updates: BTreeSet<i64> = rows(
        p,
        "SELECT event_id FROM status_update WHERE incident_id = ?",
        id,
    )
    .iter()
    .filter_map(|r| r["event_id"].as_i64())
    .collect();
    let Some(affection) = &view.incident.affection else {
        found.expect(public.is_empty() && updates.is_empty(), || {
            format!("{id}: no affection, the status page shows {public:?}")
        });
        return;
    };
    let status = if view.incident.status.is_terminal() {
        AffectionStatus::Resolved
    } else {
        affection.status
    };
    found.expect(
        public.len() == 1 && public[0]["status"] == json!(status),
        || format!("{id}: status page {public:?}, object {status:?}"),
    );
    let affection_events: BTreeSet<i64> = view
        .timeline
        .iter()
        .filter(|e| e.event_type == event_type::AFFECTION_UPDATE)
        .map(|e| e.event_id)
        .collect();
    found.expect(affection_events.is_subset(&updates), || {
        format!("{id}: affection updates {affection_events:?}, status page updates {updates:?}")
    });
}

/// Within each `IncidentWorkflow` instance, each lane delivered each event at most once (a
/// retried delivery is `#retry-<round>`, not a second first-round one), in the order the
/// events were committed: only a replayed dead letter may come after newer events.
fn check_lane_order(world: &World, found: &mut Found) {
    let engine = &world.pipeline.workflows;
    let replayed = world.replayed.borrow();
    for instance in engine.instance_ids() {
        let Some(step) = engine.step(&instance) else {
            continue;
        };
        let mut by_lane: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for record in step.records() {
            if let StepRecord::Attempt {
                name, error: None, ..
            } = record
            {
                if let Some((effect, event)) = super::isolation::first_round_delivery(&name) {
                    by_lane.entry(effect.to_owned()).or_default().push(event);
                }
            }
        }
        for (effect, events) in by_lane {
            let mut seen = BTreeSet::new();
            let mut newest = 0;
            for event in &events {
                found.expect(seen.insert(*event), || {
                    format!(
                        "instance {instance}: {effect} delivered event {event} twice: {events:?}"
                    )
                });
                let replay = replayed
                    .iter()
                    .any(|(id, e)| instance.contains(id.as_str()) && e == event);
                found.expect(*event > newest || replay, || {
                    format!("instance {instance}: {effect} delivered event {event} after {newest}: {events:?}")
                });
                newest = newest.max(*event);
            }
        }
    }
}

/// The delivery a lane's attempt step belongs to: its name without `#attempt-<n>`.
fn delivery_of(step: &str) -> &str {
    match step.rsplit_once("#attempt-") {
        Some((base, n)) if n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => step,
    }
}

/// No step failed for good (budgets keep faults under every retry limit) but those `may_fail`
/// allows, no run errored, and every event an ended instance was sent is one it had handled
/// (a redelivery).
fn check_engine(engine: &NativeWorkflows, may_fail: impl Fn(&str) -> bool, found: &mut Found) {
    for instance in engine.instance_ids() {
        let status = engine.instance_status(&instance);
        found.expect(!matches!(status, Some(InstanceStatus::Errored(_))), || {
            format!("instance {instance}: {status:?}")
        });
        let Some(step) = engine.step(&instance) else {
            continue;
        };
        // A lane's delivery makes one step per attempt (`<step>#attempt-<n>`): it failed for
        // good when none of them succeeded.
        let mut last: BTreeMap<String, Option<String>> = BTreeMap::new();
        for record in step.records() {
            if let StepRecord::Attempt { name, error, .. } = record {
                let delivery = delivery_of(&name).to_owned();
                let ok = last.get(&delivery).is_some_and(Option::is_none);
                if !ok {
                    last.insert(delivery, error);
                }
            }
        }
        for (name, error) in last {
            if let Some(error) = error.filter(|_| !may_fail(&name)) {
                found.violations.push(format!(
                    "instance {instance}: step {name} failed for good: {error}"
                ));
            }
        }
    }
    // A redelivery after the end: the ended instance had handled that event already.
    for (instance, payload) in engine.undelivered() {
        let event = payload["event_id"].as_i64().unwrap_or_default();
        let handled = match engine.instance_status(&instance) {
            Some(InstanceStatus::Complete(output)) => {
                output["last_event_id"].as_i64().unwrap_or_default() >= event
            }
            _ => false,
        };
        found.expect(handled, || {
            format!("instance {instance}: event {event} arrived after its end, never handled")
        });
    }
}

/// The incident's webhook key reached the receiver and its reference came back.
fn check_webhook(
    webhook: &super::world::Webhook,
    views: &BTreeMap<String, IncidentView>,
    found: &mut Found,
) {
    let took_effect = webhook.took_effect.lock().expect("effects lock").clone();
    let expected: BTreeSet<String> = views.keys().map(|id| format!("{id}:1:webhook")).collect();
    let delivered: BTreeSet<String> = took_effect.keys().cloned().collect();
    found.expect(delivered == expected, || {
        format!("webhook keys delivered {delivered:?}, expected {expected:?}")
    });
    for (id, view) in views {
        let key = format!("{id}:1:webhook");
        let got = view
            .incident
            .metadata
            .get(incidentd_adapters::webhook::REFERENCE_KEY);
        found.expect(got == Some(&reference(&key)), || {
            format!("{id}: webhook reference {got:?}")
        });
    }
}

/// One channel per incident, and each message (by its event metadata) once.
fn check_slack(
    slack: &crate::FakeSlack,
    views: &BTreeMap<String, IncidentView>,
    found: &mut Found,
) {
    let created: Vec<String> = slack
        .answered_calls()
        .into_iter()
        .filter(|c| c.call.method == "conversations.create" && c.answer["ok"] == true)
        .filter_map(|c| c.answer["channel"]["id"].as_str().map(str::to_owned))
        .collect();
    let owned: BTreeMap<&str, &str> = views
        .iter()
        .filter_map(|(id, v)| {
            v.incident
                .metadata
                .get(slack_keys::CHANNEL)
                .map(|c| (c.as_str(), id.as_str()))
        })
        .collect();
    found.expect(owned.len() == views.len(), || {
        format!(
            "incidents without a Slack channel: {} of {}",
            views.len() - owned.len(),
            views.len()
        )
    });
    for channel in &created {
        found.expect(owned.contains_key(channel.as_str()), || {
            format!("Slack channel {channel} was created for no incident (a duplicate)")
        });
    }
    let mut posted: BTreeMap<(String, i64, String), usize> = BTreeMap::new();
    for channel in created.iter().filter_map(|c| slack.channel(c)) {
        for message in &channel.messages {
            if let Some(p) = PostedFor::of_message(&json!({ "metadata": message.metadata })) {
                *posted
                    .entry((p.incident_id, p.event_id, p.part))
                    .or_default() += 1;
            }
        }
    }
    for (key, n) in &posted {
        found.expect(*n == 1, || {
            format!("Slack message {key:?} posted {n} times")
        });
    }
    for id in views.keys() {
        let key = (id.clone(), 1, part::ANNOUNCEMENT.to_owned());
        found.expect(posted.contains_key(&key), || {
            format!("{id}: no Slack announcement")
        });
    }
}
