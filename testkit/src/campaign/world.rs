//! The world one scenario runs in: the native pipeline (objects, engines, D1) with the fake
//! Slack, the recording webhook receiver and the fake LLM when the scenario configures them,
//! every fault of its plan installed. A fresh world per scenario: fakes keep state (channels,
//! keys), and starting them costs well under a millisecond.

use super::faults::{self, FaultCounts, HttpFaults, TIMEOUT_CAP_MS};
use super::isolation::{Isolation, Troubled};
use super::model::Model;
use super::scenario::Scenario;
use crate::pipeline::{self, Pipeline};
use crate::slack_workspace;
use crate::{FakeSlack, FAKE_TEAM_ID};
use incidentd_adapters::slack::config;
use incidentd_llm::openai::{API_KEY_VAR, BASE_URL_VAR};
use sluice::native::{RecordingServer, SqliteDatabase};
use sluice::outbox::OutboxPolicy;
use sluice::Duration;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// Forward attempts before a dead letter: few, so forwarder faults reach one often.
pub const MAX_FORWARD_ATTEMPTS: u32 = 3;

/// The webhook receiver: deduplicates by `Idempotency-Key`, as a real one would, and
/// answers a reference the sender writes back to the incident.
pub struct Webhook {
    pub server: RecordingServer,
    /// Keys whose request took effect (answered 200, or answered late after taking effect),
    /// with how many requests did.
    pub took_effect: Arc<Mutex<BTreeMap<String, u32>>>,
    faults: Arc<Mutex<HttpFaults>>,
}

/// The reference the receiver answers for a key.
pub fn reference(key: &str) -> String {
    format!("T-{key}")
}

impl Webhook {
    fn start(faults: HttpFaults, counts: Arc<FaultCounts>) -> Webhook {
        let took_effect: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
        let faults = Arc::new(Mutex::new(faults));
        let (effects, drawn) = (took_effect.clone(), faults.clone());
        let server = RecordingServer::answering(move |request| {
            let key = request
                .header("idempotency-key")
                .unwrap_or_default()
                .to_owned();
            let fault = drawn.lock().expect("faults lock").draw();
            if let Some(fault) = fault {
                counts.add(&fault.kind("webhook"));
                if fault != faults::HttpFault::Timeout {
                    return fault.scripted();
                }
                std::thread::sleep(std::time::Duration::from_millis(faults::SLOW_ANSWER_MS));
            }
            *effects
                .lock()
                .expect("effects lock")
                .entry(key.clone())
                .or_default() += 1;
            sluice::native::Scripted::status(200)
                .body(serde_json::json!({ "reference": reference(&key) }).to_string())
        });
        Webhook {
            server,
            took_effect,
            faults,
        }
    }
}

pub struct World {
    pub pipeline: Pipeline,
    pub slack: Option<FakeSlack>,
    pub webhook: Option<Webhook>,
    pub model: Option<Model>,
    /// The webhook fails everything until the faults are cleared.
    pub webhook_outage: bool,
    /// The integration in trouble until the faults are cleared (an isolation scenario).
    pub troubled: Option<Isolation>,
    /// `(incident, event)` of each dead letter replayed: it may reach a lane after newer events.
    pub replayed: RefCell<BTreeSet<(String, i64)>>,
    pub counts: Arc<FaultCounts>,
}

impl World {
    pub fn start(scenario: &Scenario, counts: Arc<FaultCounts>) -> World {
        let plan = &scenario.faults;
        let slack = scenario.integrations.slack.then(FakeSlack::start);
        let troubled = |integration| {
            scenario
                .isolation
                .filter(|i| i.integration == integration)
                .map(|i| i.trouble)
        };
        let webhook = scenario.integrations.webhook.then(|| {
            let faults = if let Some(trouble) = troubled(Troubled::Webhook) {
                HttpFaults::trouble(scenario.seed ^ 0x5745_4248, trouble)
            } else if plan.webhook_outage {
                counts.add("webhook outage");
                HttpFaults::outage(scenario.seed ^ 0x5745_4248)
            } else {
                HttpFaults::new(
                    scenario.seed ^ 0x5745_4248,
                    plan.webhook_fault_percent,
                    plan.timeout_percent,
                    plan.webhook_fault_budget,
                )
            };
            Webhook::start(faults, counts.clone())
        });
        let model = scenario.integrations.model.then(|| {
            let faults = HttpFaults::new(
                scenario.seed ^ 0x004c_4c4d,
                plan.llm_fault_percent,
                plan.timeout_percent,
                plan.llm_fault_budget,
            );
            Model::start(scenario.seed ^ 0x414e_5357, faults, counts.clone())
        });
        let mut vars = Vec::new();
        let token_key = slack_workspace::key_b64();
        let slack_url = slack.as_ref().map(FakeSlack::api_url);
        if let Some(url) = &slack_url {
            vars.push((config::API_URL_VAR, url.as_str()));
            vars.push((config::TOKEN_KEY_VAR, token_key.as_str()));
        }
        if let Some(webhook) = &webhook {
            vars.push((
                incidentd_adapters::webhook::URL_VAR,
                webhook.server.url.as_str(),
            ));
        }
        let model_url = model.as_ref().map(|m| m.fake.base_url());
        if let Some(url) = &model_url {
            vars.push((BASE_URL_VAR, url.as_str()));
            vars.push((API_KEY_VAR, "sk-campaign"));
        }
        let policy = OutboxPolicy {
            max_attempts: MAX_FORWARD_ATTEMPTS,
            ..OutboxPolicy::default()
        };
        let pipeline = Pipeline::with_database(reused_database(), policy, &vars, |services| {
            services.http_timeout_cap = Some(Duration::from_millis(TIMEOUT_CAP_MS));
        });
        if let Some(slack) = &slack {
            slack_workspace::connect_as(&pipeline, FAKE_TEAM_ID);
            let mut faults = match troubled(Troubled::Slack) {
                Some(trouble) => HttpFaults::trouble(scenario.seed ^ 0x534c_4143, trouble),
                None => HttpFaults::new(
                    scenario.seed ^ 0x534c_4143,
                    plan.slack_fault_percent,
                    plan.timeout_percent,
                    plan.slack_fault_budget,
                ),
            };
            let counts = counts.clone();
            slack.fail_when(move |_| {
                let fault = faults.draw()?;
                counts.add(&fault.kind("slack"));
                Some(fault.slack())
            });
        }
        let world = World {
            pipeline,
            slack,
            webhook,
            model,
            webhook_outage: scenario.faults.webhook_outage,
            troubled: scenario.isolation,
            replayed: RefCell::default(),
            counts,
        };
        world.install_engine_faults(scenario);
        world.install_event_loss(scenario);
        world
    }

    fn install_engine_faults(&self, scenario: &Scenario) {
        let plan = &scenario.faults;
        let rng = Rc::new(RefCell::new(fastrand::Rng::with_seed(
            scenario.seed ^ 0x0045_4e47,
        )));
        for engine in self.pipeline.engines() {
            engine.on_create(faults::crash_schedule(
                plan,
                rng.clone(),
                self.counts.clone(),
            ));
        }
        // The outbox forwards to the incident workflow: its faults are the forwarder's.
        let forward = &self.pipeline.workflows;
        if plan.forward_fail_percent > 0 {
            let (rng, counts, percent) =
                (rng.clone(), self.counts.clone(), plan.forward_fail_percent);
            forward.fail_when(move |operation, id, _| {
                (rng.borrow_mut().u32(0..100) < percent).then(|| {
                    counts.add("forward refused");
                    format!("injected: {operation} {id} refused")
                })
            });
        }
        if plan.lost_answer_percent > 0 {
            let (rng, counts, percent) = (rng, self.counts.clone(), plan.lost_answer_percent);
            forward.lose_answers_when(move |_, _, _| {
                let lost = rng.borrow_mut().u32(0..100) < percent;
                if lost {
                    counts.add("forward answer lost");
                }
                lost
            });
        }
    }

    /// The engine accepts some events and loses them; its own generator, so the other
    /// faults of older seeds draw as they did.
    fn install_event_loss(&self, scenario: &Scenario) {
        let percent = scenario.faults.event_lost_percent;
        if percent == 0 {
            return;
        }
        let mut rng = fastrand::Rng::with_seed(scenario.seed ^ 0x4c4f_5354);
        let counts = self.counts.clone();
        // Only the first send of a message to an instance: a new event, a replayed dead letter,
        // a `last` message. The object's re-sends of the same message are not lost again, or
        // the bounded re-sends of an open incident's tail could all be.
        let mut sent: HashSet<(String, i64, bool)> = HashSet::new();
        self.pipeline
            .workflows
            .drop_events_when(move |operation, instance, payload| {
                let event = payload["event_id"].as_i64().unwrap_or_default();
                let last = payload["last"] == true;
                let first_time = sent.insert((instance.to_owned(), event, last));
                let lost = operation == "send_event" && first_time && rng.u32(0..100) < percent;
                if lost {
                    counts.add("event lost by engine");
                }
                lost
            });
    }

    /// Ends every transient fault (forwarder, Slack, webhook, model); crash schedules stay,
    /// bounded.
    pub fn clear_faults(&self) {
        self.pipeline.workflows.clear_faults();
        if let Some(slack) = &self.slack {
            slack.fail_when(|_| None);
        }
        if let Some(webhook) = &self.webhook {
            webhook.faults.lock().expect("faults lock").stop();
        }
        if let Some(model) = &self.model {
            model.stop_faults();
        }
    }
}

thread_local! {
    /// This thread's migrated D1, emptied for each scenario (migrating takes milliseconds).
    static DATABASE: Rc<SqliteDatabase> = pipeline::database();
}

fn reused_database() -> Rc<SqliteDatabase> {
    DATABASE.with(|db| {
        pipeline::empty(db);
        db.clone()
    })
}
