//! The `Incident` Durable Object class (SQLite storage): a shell around
//! `incidentd_core::IncidentObject`, reached by the router through `stub.fetch`.

use crate::http::{self, TENANT_HEADER};
use crate::INCIDENT_WORKFLOW_BINDING;
use incidentd_adapters::dashboard::receiver::ApiError;
use incidentd_core::object::{IncidentObject, StartIncident, Started};
use incidentd_core::DomainError;
use incidentd_runtime::cloudflare::{CfServices, DoStorage};
use incidentd_runtime::log;
use incidentd_runtime::sql::SqlStore;
use incidentd_runtime::workflow::Services;
use worker::{durable_object, Date, Env, Method, Request, Response, Result, State};

/// If an alarm pass fails on storage, try again after this long rather than never.
const ALARM_FALLBACK_MS: i64 = 30_000;

#[durable_object]
pub struct Incident {
    object: std::result::Result<IncidentObject<DoStorage>, DomainError>,
    env: Env,
}

fn now_ms() -> i64 {
    Date::now().as_millis() as i64
}

impl Incident {
    fn object(&self) -> std::result::Result<&IncidentObject<DoStorage>, ApiError> {
        self.object.as_ref().map_err(|e| ApiError::from(e.clone()))
    }

    async fn handle(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let object = self.object()?;
        let tenant = req
            .headers()
            .get(TENANT_HEADER)
            .ok()
            .flatten()
            .unwrap_or_default();
        let internal = |e: worker::Error| ApiError::internal(e.to_string());
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/start") => {
                let body = req.bytes().await.map_err(internal)?;
                let input: StartIncident = serde_json::from_slice(&body)
                    .map_err(|e| ApiError::internal(format!("bad internal start request: {e}")))?;
                let (status, state) = match object.start(input, now_ms())? {
                    Started::Created(state) => (201, state),
                    Started::AlreadyExisted(state) => (200, state),
                };
                if state.tenant_id != tenant {
                    return Err(ApiError::from(DomainError::NotFound));
                }
                http::json(status, &serde_json::json!({ "incident": state })).map_err(internal)
            }
            (Method::Get, "/get") => {
                let view = object.get()?;
                if view.incident.tenant_id != tenant {
                    return Err(ApiError::from(DomainError::NotFound));
                }
                http::json(200, &view).map_err(internal)
            }
            _ => Err(ApiError::not_found()),
        }
    }
}

impl worker::DurableObject for Incident {
    fn new(state: State, env: Env) -> Self {
        let storage = state.storage();
        let raw: &worker::wasm_bindgen::JsValue = storage.as_raw().as_ref();
        let store = DoStorage::new(raw.clone());
        Self {
            object: IncidentObject::open(store),
            env,
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.handle(req).await {
            Ok(response) => Ok(response),
            Err(e) => http::error(&e),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let object = match self.object() {
            Ok(object) => object,
            Err(e) => {
                log::error(&format!(
                    "incident alarm: storage unavailable: {}",
                    e.message
                ));
                return Response::ok("storage unavailable");
            }
        };
        let services = CfServices::new(self.env.clone().into());
        let workflows = match services.workflow(INCIDENT_WORKFLOW_BINDING) {
            Ok(client) => client,
            Err(e) => {
                log::error(&format!(
                    "incident alarm: no {INCIDENT_WORKFLOW_BINDING} binding: {e}"
                ));
                let _ = object.store().set_alarm(now_ms() + ALARM_FALLBACK_MS);
                return Response::ok("no workflow binding");
            }
        };
        // Never throw from here: a thrown alarm is retried by the platform only six times.
        // The outbox re-arms itself; on a storage error, arm a fallback instead.
        match object.on_alarm(workflows.as_ref(), now_ms()).await {
            Ok(report) => {
                for (event_id, error) in &report.failed {
                    log::error(&format!(
                        "outbox: forwarding event {event_id} failed: {error}"
                    ));
                }
                for event_id in &report.dead_lettered {
                    log::error(&format!("outbox: event {event_id} dead-lettered"));
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
