//! The `Incident` Durable Object class (SQLite storage): a shell around
//! `incidentd_core::IncidentObject`. Its `fetch` serves the typed protocol
//! (`incidentd_core::protocol`, one entry point, carried by the runtime's object transport);
//! its alarm forwards the outbox and finalises closed incidents.

use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_core::object::{AgentTurns, Archive, IncidentObject, TurnPacing};
use incidentd_core::ArchivedIncident;
use sluice::cloudflare::{serve_object_call, CfServices, DoStorage};
use sluice::log;
use sluice::sql::SqlStore;
use sluice::workflow::Services;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{durable_object, Date, Env, Request, Response, Result, State};

/// If an alarm pass fails on storage or configuration, try again after this long.
const ALARM_FALLBACK_MS: i64 = 30_000;

#[durable_object]
pub struct Incident {
    object: IncidentObject<DoStorage>,
    services: CfServices,
}

fn now_ms() -> i64 {
    Date::now().as_millis() as i64
}

/// The D1 archive, as the core's port.
struct D1Archive<'a>(&'a CfServices);

#[async_trait::async_trait(?Send)]
impl Archive for D1Archive<'_> {
    async fn archive(&self, record: &ArchivedIncident) -> std::result::Result<(), String> {
        let db = self.0.database(INDEX_DATABASE).map_err(|e| e.message)?;
        archive::store(db.as_ref(), record, now_ms())
            .await
            .map_err(|e| e.message)
    }
}

/// The protocol over Durable Object RPC: one serialised request in, one reply out. The
/// generated JS entry exposes it as the `call` method of the `DurableObject` class.
#[wasm_bindgen]
impl Incident {
    pub fn call(&self, request: String) -> String {
        self.object.handle_encoded(&request, now_ms())
    }
}

impl worker::DurableObject for Incident {
    fn new(state: State, env: Env) -> Self {
        let storage = state.storage();
        let raw: &worker::wasm_bindgen::JsValue = storage.as_raw().as_ref();
        Self {
            object: IncidentObject::open(DoStorage::new(raw.clone())),
            services: CfServices::new(env.into()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve_object_call(req, |request| {
            self.object.handle_encoded(&request, now_ms())
        })
        .await
    }

    async fn alarm(&self) -> Result<Response> {
        let object = &self.object;
        let clients = self
            .services
            .workflow_of_class(incidentd_workflows::incident::CLASS)
            .and_then(|w| {
                self.services
                    .workflow_of_class(incidentd_workflows::analysis::CLASS)
                    .map(|a| (w, a))
            });
        let (workflows, analysis) = match clients {
            Ok(clients) => clients,
            Err(e) => {
                log::error(&format!("incident alarm: {e}"));
                let _ = object.store().set_alarm(now_ms() + ALARM_FALLBACK_MS);
                return Response::ok("no workflow binding");
            }
        };
        // Agent turns only with a language model configured (and its workflow bound).
        let turn_workflows = TurnPacing::from_services(&self.services).and_then(|pacing| {
            self.services
                .workflow_of_class(incidentd_workflows::agent_turn::CLASS)
                .map(|workflows| (workflows, pacing))
                .map_err(|e| log::error(&format!("incident alarm: agent turns: {e}")))
                .ok()
        });
        let turns = turn_workflows
            .as_ref()
            .map(|(workflows, pacing)| AgentTurns {
                workflows: workflows.as_ref(),
                pacing: *pacing,
            });
        // Never throw from here: the platform retries a throwing alarm only six times. The
        // outbox re-arms itself; on a storage error, arm a fallback instead.
        match object
            .on_alarm_with_turns(
                workflows.as_ref(),
                analysis.as_ref(),
                &D1Archive(&self.services),
                turns.as_ref(),
                now_ms(),
            )
            .await
        {
            Ok(report) => {
                for (event_id, error) in &report.pass.failed {
                    log::error(&format!(
                        "outbox: forwarding event {event_id} failed: {error}"
                    ));
                }
                for event_id in &report.pass.dead_lettered {
                    log::error(&format!("outbox: event {event_id} dead-lettered"));
                }
                if let Some(error) = &report.finalize_error {
                    log::error(&format!("incident finalisation postponed: {error}"));
                }
                if let Some(error) = &report.turn.error {
                    log::error(&format!("agent turn: {error}"));
                }
            }
            Err(e) => {
                log::error(&format!("outbox pass failed: {e}"));
                let _ = object.store().set_alarm(now_ms() + ALARM_FALLBACK_MS);
            }
        }
        Response::ok("ok")
    }
}
