//! The `Incident` Durable Object class (SQLite storage): a shell around
//! `incidentd_core::IncidentObject`, reached by the router through `stub.fetch` with an
//! internal protocol (`/start`, `/command`, `/get`, `/dead-letters`, `/replay/:event_id`,
//! `/workflow`), the authenticated tenant in a header.

use crate::http::{self, REQUEST_HEADER, TENANT_HEADER};
use crate::{ANALYSIS_WORKFLOW_BINDING, INCIDENT_WORKFLOW_BINDING};
use incidentd_adapters::dashboard::receiver::ApiError;
use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_core::object::{Archive, Command, IncidentObject, StartIncident, Started};
use incidentd_core::{DomainError, IncidentView};
use incidentd_runtime::cloudflare::{CfServices, DoStorage};
use incidentd_runtime::log;
use incidentd_runtime::sql::SqlStore;
use incidentd_runtime::workflow::Services;
use serde_json::json;
use worker::{durable_object, Date, Env, Method, Request, Response, Result, State};

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
    async fn archive(&self, view: &IncidentView) -> std::result::Result<(), String> {
        let db = self.0.database(INDEX_DATABASE).map_err(|e| e.message)?;
        archive::store(db.as_ref(), view, now_ms())
            .await
            .map_err(|e| e.message)
    }
}

impl Incident {
    async fn handle(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let object = &self.object;
        let tenant = req
            .headers()
            .get(TENANT_HEADER)
            .ok()
            .flatten()
            .unwrap_or_default();
        let request_id = req
            .headers()
            .get(REQUEST_HEADER)
            .ok()
            .flatten()
            .unwrap_or_default();
        let internal = |e: worker::Error| ApiError::internal(e.to_string());
        let path = req.path();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (req.method(), segments.as_slice()) {
            (Method::Post, ["start"]) => {
                let body = req.bytes().await.map_err(internal)?;
                let input: StartIncident = serde_json::from_slice(&body)
                    .map_err(|e| ApiError::internal(format!("bad internal start request: {e}")))?;
                let prompt = input.prompt.trim().to_owned();
                let (status, state) = match object.start(input, now_ms())? {
                    Started::Created(state) => (201, state),
                    Started::AlreadyExisted(state)
                        if state.tenant_id == tenant && state.prompt == prompt =>
                    {
                        (200, state)
                    }
                    Started::AlreadyExisted(_) => {
                        return Err(ApiError::new(
                            409,
                            "IDEMPOTENCY_KEY_REUSED",
                            "this idempotency key already created a different incident",
                        ))
                    }
                };
                http::json(status, &json!({ "incident": state })).map_err(internal)
            }
            (Method::Post, ["command"]) => {
                let body = req.bytes().await.map_err(internal)?;
                let command: Command = serde_json::from_slice(&body)
                    .map_err(|e| ApiError::internal(format!("bad internal command: {e}")))?;
                let creates = matches!(
                    command,
                    Command::AddMessage { .. } | Command::CreateAffection { .. }
                );
                let applied = object.apply_request(&tenant, &request_id, command, now_ms())?;
                let status = if creates && !applied.duplicate {
                    201
                } else {
                    200
                };
                http::json(status, &applied).map_err(internal)
            }
            (Method::Get, ["get"]) => http::json(200, &object.get(&tenant)?).map_err(internal),
            (Method::Get, ["dead-letters"]) => http::json(
                200,
                &json!({ "dead_letters": object.dead_letters(&tenant)? }),
            )
            .map_err(internal),
            (Method::Post, ["replay", event_id]) => {
                let event_id: i64 = event_id
                    .parse()
                    .map_err(|_| ApiError::from(DomainError::NotFound))?;
                object.replay(&tenant, event_id, now_ms())?;
                http::json(200, &json!({ "replayed": event_id })).map_err(internal)
            }
            (Method::Get, ["workflow"]) => {
                let state = object.owned_state(&tenant)?;
                let instance = incidentd_core::forward::current_instance(object.store(), &state.id)
                    .map_err(|e| ApiError::from(DomainError::from(e)))?;
                http::json(200, &json!({ "instance_id": instance })).map_err(internal)
            }
            _ => Err(ApiError::not_found()),
        }
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
        match self.handle(req).await {
            Ok(response) => Ok(response),
            Err(e) => http::error(&e),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let object = &self.object;
        let clients = self
            .services
            .workflow(INCIDENT_WORKFLOW_BINDING)
            .and_then(|w| {
                self.services
                    .workflow(ANALYSIS_WORKFLOW_BINDING)
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
        // Never throw from here: the platform retries a throwing alarm only six times. The
        // outbox re-arms itself; on a storage error, arm a fallback instead.
        match object
            .on_alarm(
                workflows.as_ref(),
                analysis.as_ref(),
                &D1Archive(&self.services),
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
            }
            Err(e) => {
                log::error(&format!("outbox pass failed: {e}"));
                let _ = object.store().set_alarm(now_ms() + ALARM_FALLBACK_MS);
            }
        }
        Response::ok("ok")
    }
}
