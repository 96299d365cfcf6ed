//! The fetch handler: routes, authentication, and the calls into the Incident Durable Object
//! and D1. The API is documented in docs/api.md and served as OpenAPI at `/openapi.json`.

use crate::http;
use crate::{INCIDENT_BINDING, INCIDENT_WORKFLOW_BINDING, SIGNING_SECRET};
use incidentd_adapters::dashboard::receiver::requests::{self, parse_body, CreateIncident, Replay};
use incidentd_adapters::dashboard::receiver::{auth, list, tenant, ApiError, AuthContext};
use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_core::object::StartIncident;
use incidentd_core::Source;
use incidentd_runtime::cloudflare::CfServices;
use incidentd_runtime::registry;
use incidentd_runtime::sql::Database;
use incidentd_runtime::workflow::Services;
use serde_json::json;
use std::rc::Rc;
use worker::{event, Context, Date, Env, Method, Request, Response, Result};

type Handled = std::result::Result<Response, ApiError>;

fn internal(e: worker::Error) -> ApiError {
    ApiError::internal(e.to_string())
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match route(req, env).await {
        Ok(response) => Ok(response),
        Err(e) => http::error(&e),
    }
}

/// What a handler needs: the environment, the caller, the raw body.
struct Call<'a> {
    env: &'a Env,
    auth: AuthContext,
    body: Vec<u8>,
}

impl Call<'_> {
    fn database(&self) -> std::result::Result<Rc<dyn Database>, ApiError> {
        CfServices::new(self.env.clone().into())
            .database(INDEX_DATABASE)
            .map_err(|e| ApiError::internal(e.message))
    }

    /// Sends an internal request to the incident's Durable Object.
    async fn object(&self, id: &str, method: Method, path: &str, body: Option<String>) -> Handled {
        let call = http::internal(
            method,
            path,
            &self.auth.client_id,
            &self.auth.request_id,
            body,
        )
        .map_err(internal)?;
        stub(self.env, id)?
            .fetch_with_request(call)
            .await
            .map_err(internal)
    }
}

async fn route(mut req: Request, env: Env) -> Handled {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    match segments.as_slice() {
        ["healthz"] => return health(),
        ["openapi.json"] => return openapi_document(),
        ["dashboard", ..] => {}
        _ => return Err(ApiError::not_found()),
    }
    // Authenticate before anything else; the signature covers the raw body bytes.
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > requests::MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {} bytes", requests::MAX_BODY_BYTES),
        ));
    }
    let auth = authenticate(&req, &env, &body)?;
    let call = Call {
        env: &env,
        auth,
        body,
    };
    match (method, &segments[1..]) {
        (Method::Get, ["incidents"]) => list(&call).await,
        (Method::Post, ["incidents"]) => create(&call).await,
        (Method::Get, ["incidents", id]) => get(&call, id).await,
        (Method::Get, ["incidents", id, "workflow"]) => workflow_status(&call, id).await,
        (Method::Get, ["incidents", id, "dead-letters"]) => {
            call.object(id, Method::Get, "/dead-letters", None).await
        }
        (Method::Post, ["incidents", id, "dead-letters", event_id, "replay"]) => {
            parse_body::<Replay>(&call.body)?;
            call.object(id, Method::Post, &format!("/replay/{event_id}"), None)
                .await
        }
        (Method::Post, ["incidents", id, "affection", "updates"]) => {
            change(&call, id, "affection/updates").await
        }
        (
            Method::Post,
            ["incidents", id, route @ ("severity" | "assignee" | "status" | "messages" | "affection")],
        ) => change(&call, id, route).await,
        (
            _,
            ["incidents"]
            | ["incidents", _]
            | ["incidents", _, "workflow" | "dead-letters" | "severity" | "assignee" | "status" | "messages"
            | "affection"]
            | ["incidents", _, "affection", "updates"]
            | ["incidents", _, "dead-letters", _, "replay"],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

/// The checked-in document (a test keeps it equal to what the types generate), so the schema
/// generator stays out of the wasm module.
fn openapi_document() -> Handled {
    const DOCUMENT: &str = include_str!("../docs/openapi.json");
    let headers = worker::Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    Ok(Response::ok(DOCUMENT)
        .map_err(internal)?
        .with_headers(headers))
}

/// Liveness plus what this build registered, so a test can check that every workflow and
/// effect made it into the wasm module.
fn health() -> Handled {
    let workflows: Vec<&str> = registry::workflows().iter().map(|w| w.class_name).collect();
    let effects: Vec<&str> = registry::effects(incidentd_workflows::incident::CLASS)
        .iter()
        .map(|e| e.name)
        .collect();
    http::json(
        200,
        &json!({ "ok": true, "workflows": workflows, "effects": effects }),
    )
    .map_err(internal)
}

fn authenticate(
    req: &Request,
    env: &Env,
    body: &[u8],
) -> std::result::Result<AuthContext, ApiError> {
    let secret = env.secret(SIGNING_SECRET).map(|s| s.to_string()).ok();
    let url = req.url().map_err(internal)?;
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let now_secs = (Date::now().as_millis() / 1_000) as i64;
    let method = req.method().to_string();
    Ok(auth::verify(
        secret.as_deref().map(str::as_bytes),
        &method,
        &path_and_query,
        body,
        header,
        now_secs,
    )?)
}

async fn create(call: &Call<'_>) -> Handled {
    let request: CreateIncident = parse_body(&call.body)?;
    let namespace = call
        .env
        .durable_object(INCIDENT_BINDING)
        .map_err(internal)?;
    // With an idempotency key the object is named by it, so a retried create reaches the
    // incident the first attempt made.
    let key = request.checked_idempotency_key()?.map(str::to_owned);
    let id = match key.as_deref() {
        Some(key) => namespace
            .id_from_name(&format!("{}:{key}", call.auth.client_id))
            .map_err(internal)?,
        // Named by the request's signature: an exact replay reaches the incident it made.
        None => namespace
            .id_from_name(&format!(
                "{}:request:{}",
                call.auth.client_id, call.auth.request_id
            ))
            .map_err(internal)?,
    };
    if key.is_some() {
        // The key's incident may be closed and archived (its object emptied): answer from the
        // archive rather than starting a new incident under the same id.
        if let Some(view) = archived(call, &id.to_string()).await? {
            return if view.incident.prompt == request.prompt.trim() {
                http::json(200, &json!({ "incident": view.incident })).map_err(internal)
            } else {
                Err(ApiError::new(
                    409,
                    "IDEMPOTENCY_KEY_REUSED",
                    "this idempotency key already created a different incident",
                ))
            };
        }
    }
    let mut input = StartIncident {
        id: id.to_string(),
        tenant_id: call.auth.client_id.clone(),
        prompt: request.prompt,
        title: request.title,
        severity: request.severity,
        created_by: call.auth.user_id.clone(),
        source: Source::Dashboard,
        entry_points: Vec::new(),
        services: Vec::new(),
    };
    input.validate()?; // before the Durable Object exists: bad input must create nothing
    let (entry_points, services) =
        tenant::tenant_config(call.database()?.as_ref(), &call.auth.client_id).await?;
    input.entry_points = entry_points;
    input.services = services;
    let body = serde_json::to_string(&input).map_err(|e| ApiError::internal(e.to_string()))?;
    call.object(&input.id, Method::Post, "/start", Some(body))
        .await
}

async fn change(call: &Call<'_>, id: &str, route: &str) -> Handled {
    let command = requests::command(route, &call.body, &call.auth.user_id)?;
    let body = serde_json::to_string(&command).map_err(|e| ApiError::internal(e.to_string()))?;
    let response = call
        .object(id, Method::Post, "/command", Some(body))
        .await?;
    // A closed incident's object deleted its storage once archived: it is closed, not gone.
    if response.status_code() == 404 && archived(call, id).await?.is_some() {
        return Err(ApiError::new(
            409,
            "INCIDENT_CLOSED",
            "the incident is closed; it accepts no more changes",
        ));
    }
    Ok(response)
}

/// The archived record of a closed incident of the caller's tenant.
async fn archived(
    call: &Call<'_>,
    id: &str,
) -> std::result::Result<Option<incidentd_core::IncidentView>, ApiError> {
    archive::load(call.database()?.as_ref(), &call.auth.client_id, id)
        .await
        .map_err(|e| ApiError::internal(format!("archive lookup: {e}")))
}

async fn list(call: &Call<'_>) -> Handled {
    let incidents = list::list_incidents(call.database()?.as_ref(), &call.auth.client_id).await?;
    http::json(200, &json!({ "incidents": incidents })).map_err(internal)
}

/// Resolves an incident id from the path; ids that cannot be Durable Object ids are 404s.
fn stub(env: &Env, id: &str) -> std::result::Result<worker::Stub, ApiError> {
    let valid = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(ApiError::not_found());
    }
    let namespace = env.durable_object(INCIDENT_BINDING).map_err(internal)?;
    let object_id = namespace
        .id_from_string(id)
        .map_err(|_| ApiError::not_found())?;
    object_id.get_stub().map_err(internal)
}

async fn get(call: &Call<'_>, id: &str) -> Handled {
    let response = call.object(id, Method::Get, "/get", None).await?;
    if response.status_code() != 404 {
        return Ok(response);
    }
    // A closed incident's object deleted its storage after archiving it.
    match archived(call, id).await? {
        Some(view) => http::json(
            200,
            &json!({ "incident": view.incident, "timeline": view.timeline, "archived": true }),
        )
        .map_err(internal),
        None => Ok(response),
    }
}

async fn workflow_status(call: &Call<'_>, id: &str) -> Handled {
    // The tenant check comes from the Durable Object.
    let mut response = call.object(id, Method::Get, "/workflow", None).await?;
    if response.status_code() != 200 {
        return Ok(response);
    }
    let instance: serde_json::Value = response.json().await.map_err(internal)?;
    let instance_id = instance["instance_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let client = CfServices::new(call.env.clone().into())
        .workflow(INCIDENT_WORKFLOW_BINDING)
        .map_err(|e| ApiError::internal(e.message))?;
    match client.status(&instance_id).await {
        Ok(status) => http::json(
            200,
            &json!({ "instance_id": instance_id, "status": status }),
        )
        .map_err(internal),
        Err(e) => Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("workflow instance {instance_id}: {e}"),
        )),
    }
}
