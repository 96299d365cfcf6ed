//! The fetch handler: routes, authentication, and the calls into the Incident Durable Object
//! and the D1 index.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /healthz` | liveness and the registered workflows and effects, unauthenticated |
//! | `POST /dashboard/incidents` | declare an incident (acknowledged once committed in its DO) |
//! | `GET /dashboard/incidents` | the caller's incidents, from the D1 index |
//! | `GET /dashboard/incidents/:id` | state and timeline, from the DO |
//! | `GET /dashboard/incidents/:id/workflow` | the incident's `IncidentWorkflow` instance status |

use crate::http;
use crate::{INCIDENT_BINDING, INCIDENT_WORKFLOW_BINDING, SIGNING_SECRET};
use incidentd_adapters::dashboard::receiver::requests::{parse_body, CreateIncident};
use incidentd_adapters::dashboard::receiver::{auth, list, ApiError, AuthContext};
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_core::object::StartIncident;
use incidentd_core::{workflow_instance_id, Source};
use incidentd_runtime::cloudflare::CfServices;
use incidentd_runtime::registry;
use incidentd_runtime::workflow::Services;
use serde_json::json;
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

async fn route(mut req: Request, env: Env) -> Handled {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    if segments.as_slice() == ["healthz"] {
        return health();
    }
    if segments.first() != Some(&"dashboard") {
        return Err(ApiError::not_found());
    }
    // Authenticate before anything else; the signature covers the raw body bytes.
    let body = req.bytes().await.map_err(internal)?;
    let auth = authenticate(&req, &env, &body)?;
    match (method, &segments[1..]) {
        (Method::Post, ["incidents"]) => create(&env, &auth, &body).await,
        (Method::Get, ["incidents"]) => list(&env, &auth).await,
        (Method::Get, ["incidents", id]) => get(&env, &auth, id).await,
        (Method::Get, ["incidents", id, "workflow"]) => workflow_status(&env, &auth, id).await,
        (_, ["incidents"] | ["incidents", _] | ["incidents", _, "workflow"]) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found()),
    }
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

async fn create(env: &Env, auth: &AuthContext, body: &[u8]) -> Handled {
    let request: CreateIncident = parse_body(body)?;
    let namespace = env.durable_object(INCIDENT_BINDING).map_err(internal)?;
    let id = namespace.unique_id().map_err(internal)?;
    let input = StartIncident {
        id: id.to_string(),
        tenant_id: auth.client_id.clone(),
        prompt: request.prompt,
        title: request.title,
        severity: request.severity,
        created_by: auth.user_id.clone(),
        source: Source::Dashboard,
    };
    input.validate()?; // before the Durable Object exists: bad input must create nothing
    let body = serde_json::to_string(&input).map_err(|e| ApiError::internal(e.to_string()))?;
    let call =
        http::internal(Method::Post, "/start", &auth.client_id, Some(body)).map_err(internal)?;
    id.get_stub()
        .map_err(internal)?
        .fetch_with_request(call)
        .await
        .map_err(internal)
}

async fn list(env: &Env, auth: &AuthContext) -> Handled {
    let services = CfServices::new(env.clone().into());
    let db = services
        .database(INDEX_DATABASE)
        .map_err(|e| ApiError::internal(e.message))?;
    let incidents = list::list_incidents(db.as_ref(), &auth.client_id).await?;
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

async fn get(env: &Env, auth: &AuthContext, id: &str) -> Handled {
    let call = http::internal(Method::Get, "/get", &auth.client_id, None).map_err(internal)?;
    stub(env, id)?
        .fetch_with_request(call)
        .await
        .map_err(internal)
}

async fn workflow_status(env: &Env, auth: &AuthContext, id: &str) -> Handled {
    // The tenant check comes from the Durable Object.
    let call = http::internal(Method::Get, "/get", &auth.client_id, None).map_err(internal)?;
    let response = stub(env, id)?
        .fetch_with_request(call)
        .await
        .map_err(internal)?;
    if response.status_code() != 200 {
        return Ok(response);
    }
    let services = CfServices::new(env.clone().into());
    let client = services
        .workflow(INCIDENT_WORKFLOW_BINDING)
        .map_err(|e| ApiError::internal(e.0))?;
    let instance_id = workflow_instance_id(id);
    match client.status(&instance_id).await {
        Ok(status) => http::json(
            200,
            &json!({ "instance_id": instance_id, "status": status }),
        )
        .map_err(internal),
        Err(e) => Err(ApiError::new(404, "WORKFLOW_NOT_FOUND", e.0)),
    }
}
