//! The fetch handler: routes, authentication, and the calls into the Incident Durable Object
//! (through the typed protocol of `incidentd_core::protocol`) and D1. The API is documented in
//! docs/api.md and served as OpenAPI at `/openapi.json`.

use crate::http;
use crate::SIGNING_SECRET;
use incidentd_adapters::admin::secrets;
use incidentd_adapters::dashboard::receiver::list::{self, ParseListQuery};
use incidentd_adapters::dashboard::receiver::requests::{self, parse_body, CreateIncidentChecks};
use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_adapters::http::declare::declare;
use incidentd_adapters::http::routes::{self, Handler, Params, Resolved};
use incidentd_adapters::http::ApiError;
use incidentd_core::{
    Actor, ArchivedIncident, Conflict, DomainError, Idempotency, IncidentCallError, IncidentHandle,
    Source, StartIncident, Started, INCIDENT_OBJECT_BINDING,
};
use incidentd_wire::dashboard::{CreateIncident, DismissEffect, Replay, RetryEffect};
use incidentd_wire::list::ListQuery;
use incidentd_wire::signing::{self, AuthContext};
use serde_json::json;
use sluice::cloudflare::CfServices;
use sluice::object::ObjectNamespace;
use sluice::registry;
use sluice::sql::Database;
use sluice::workflow::Services;
use std::rc::Rc;
use worker::{event, Context, Date, Env, Request, Response, Result};

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

/// What a handler needs: the platform services, the caller, the raw body.
struct Call {
    services: CfServices,
    auth: AuthContext,
    body: Vec<u8>,
}

impl Call {
    fn database(&self) -> std::result::Result<Rc<dyn Database>, ApiError> {
        self.services
            .database(INDEX_DATABASE)
            .map_err(|e| ApiError::internal(e.message))
    }

    fn incidents(&self) -> std::result::Result<Rc<dyn ObjectNamespace>, ApiError> {
        self.services
            .objects(INCIDENT_OBJECT_BINDING)
            .map_err(|e| ApiError::internal(e.message))
    }

    /// The typed handle to an incident, acting for the caller's tenant. An id that cannot be
    /// an object id is a 404.
    fn incident(&self, id: &str) -> std::result::Result<IncidentHandle, ApiError> {
        if !sluice::object::is_object_id(id) {
            return Err(ApiError::not_found());
        }
        let stub = self
            .incidents()?
            .get(id)
            .map_err(|_| ApiError::not_found())?;
        Ok(IncidentHandle::new(stub, self.auth.client_id.clone()))
    }

    /// The archived record of a closed incident of the caller's tenant.
    async fn archived(&self, id: &str) -> std::result::Result<Option<ArchivedIncident>, ApiError> {
        archive::load(self.database()?.as_ref(), &self.auth.client_id, id)
            .await
            .map_err(|e| ApiError::internal(format!("archive lookup: {e}")))
    }
}

/// Resolves the request against the route table once: 404 and 405 (with `Allow`) are
/// answered here, before any authentication, for every area alike.
async fn route(mut req: Request, env: Env) -> Handled {
    let path = req.path();
    // The method as sent: worker's `Method` reads any method it does not know (QUERY, say) as
    // GET, which served those requests as GETs.
    let method = req.inner().method();
    let (handler, params) = match routes::resolve(routes::ROUTES, &method, &path) {
        Resolved::Found { handler, params } => (handler, params),
        Resolved::MethodNotAllowed { allow } => {
            return match handler_area(&path) {
                Area::Status => crate::status_routes::method_not_allowed(&allow),
                Area::Other => Err(ApiError::method_not_allowed(&allow)),
            }
        }
        Resolved::NotFound => {
            return match handler_area(&path) {
                Area::Status => crate::status_routes::not_found(&path),
                Area::Other => Err(ApiError::not_found()),
            }
        }
    };
    match handler {
        Handler::Health => health(),
        Handler::OpenApi => openapi_document(),
        Handler::Status(document) => {
            crate::status_routes::route(&req, &env, document, params.get("slug")).await
        }
        Handler::Admin(admin) => crate::admin_routes::route(&mut req, &env, admin, &params).await,
        Handler::Slack(slack) => match slack {
            routes::Slack::Install => crate::slack_install_routes::install(req, env).await,
            routes::Slack::OAuthCallback => crate::slack_install_routes::callback(req, env).await,
            routes::Slack::Events => crate::slack_routes::events(req, env).await,
            routes::Slack::Interactions => crate::slack_routes::interactions(req, env).await,
            routes::Slack::Commands => crate::slack_routes::commands(req, env).await,
            routes::Slack::Connect => crate::slack_routes::connect(req, env).await,
            routes::Slack::ListInstallations => {
                crate::slack_routes::list_installations(req, env).await
            }
            routes::Slack::ShowInstallation => {
                crate::slack_routes::show_installation(req, env, params.get("tenant")).await
            }
            routes::Slack::UpdateInstallation => {
                crate::slack_routes::update_installation(req, env, params.get("tenant")).await
            }
        },
        Handler::Dashboard(route) => dashboard(req, env, route, &params).await,
    }
}

/// Which answers a 404 or 405 takes: the public status page has its own (HTML, plain text).
enum Area {
    Status,
    Other,
}

fn handler_area(path: &str) -> Area {
    match path.trim_start_matches('/').split('/').next() {
        Some("status") => Area::Status,
        _ => Area::Other,
    }
}

/// The dashboard API: signed by the tenant over the raw body, then dispatched.
async fn dashboard(
    mut req: Request,
    env: Env,
    route: routes::Dashboard,
    params: &Params<'_>,
) -> Handled {
    // Authenticate before anything else; the signature covers the raw body bytes.
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > requests::MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {} bytes", requests::MAX_BODY_BYTES),
        ));
    }
    let auth = authenticate(&req, &env, &body).await?;
    let query = req.url().map_err(internal)?.query().map(str::to_owned);
    let call = Call {
        services: CfServices::new(env.into()),
        auth,
        body,
    };
    let id = params.get("id");
    match route {
        routes::Dashboard::List => list(&call, query.as_deref().unwrap_or_default()).await,
        routes::Dashboard::Create => create(&call).await,
        routes::Dashboard::Show => get(&call, id).await,
        routes::Dashboard::Workflow => workflow_status(&call, id).await,
        routes::Dashboard::Analysis => analysis(&call, id).await,
        routes::Dashboard::DeadLetters => dead_letters(&call, id).await,
        routes::Dashboard::Replay => replay(&call, id, params.get("event_id")).await,
        routes::Dashboard::FailedEffects => failed_effects(&call, id).await,
        routes::Dashboard::DismissEffect => {
            dismiss_effect(&call, id, params.get("event_id"), params.get("effect")).await
        }
        routes::Dashboard::RetryEffect => {
            retry_effect(&call, id, params.get("event_id"), params.get("effect")).await
        }
        routes::Dashboard::Change(change_route) => change(&call, id, change_route).await,
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

/// Verifies the signature against the claimed tenant's accepted secrets: its own (two during a
/// rotation's grace period; from D1, kept in the isolate for `secrets::CACHE_TTL_MS`), else
/// the Worker secret.
async fn authenticate(
    req: &Request,
    env: &Env,
    body: &[u8],
) -> std::result::Result<AuthContext, ApiError> {
    let worker_secret = env.secret(SIGNING_SECRET).map(|s| s.to_string()).ok();
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
    let now_ms = Date::now().as_millis() as i64;
    let now_secs = now_ms / 1_000;
    let method = req.method().to_string();
    let verify = |own: Option<&secrets::TenantSecrets>| {
        let accepted = secrets::accepted(own, worker_secret.as_deref(), now_secs);
        signing::verify(&accepted, &method, &path_and_query, body, header, now_secs)
    };
    let client = match header(signing::HEADER_CLIENT).map(str::trim) {
        Some(client) if !client.is_empty() => client.to_owned(),
        _ => return Ok(verify(None)?),
    };
    let db = CfServices::new(env.clone().into())
        .database(INDEX_DATABASE)
        .map_err(|e| ApiError::internal(e.message))?;
    let loaded = secrets::load_cached(db.as_ref(), &client, now_ms).await?;
    match verify(loaded.secrets.as_ref()) {
        // The tenant may have rotated since this isolate read its secrets: ask D1 before
        // refusing.
        Err(_) if loaded.from_cache => {
            let fresh = secrets::load_fresh(db.as_ref(), &client, now_ms).await?;
            Ok(verify(fresh.secrets.as_ref())?)
        }
        verified => Ok(verified?),
    }
}

async fn create(call: &Call) -> Handled {
    let request: CreateIncident = parse_body(&call.body)?;
    request.check()?;
    let namespace = call.incidents()?;
    // With an idempotency key the object is named by it, so a retried create reaches the
    // incident the first attempt made; without, by the request's signature, so an exact
    // replay reaches the incident it made.
    let key = request.checked_idempotency_key()?.map(str::to_owned);
    let name = match key.as_deref() {
        Some(key) => format!("{}:{key}", call.auth.client_id),
        None => format!("{}:request:{}", call.auth.client_id, call.auth.request_id),
    };
    let id = namespace
        .id_from_name(&name)
        .map_err(|e| ApiError::internal(e.message))?;
    let prompt = request.prompt.trim().to_owned();
    let reused = || {
        ApiError::from(DomainError::conflict(
            Conflict::IdempotencyKeyReused,
            "this idempotency key already created a different incident",
        ))
    };
    if key.is_some() {
        // The key's incident may be closed and archived (its object emptied): answer from the
        // archive rather than starting a new incident under the same id.
        if let Some(archived) = call.archived(&id).await? {
            return if archived.view.incident.prompt == prompt {
                http::json(200, &json!({ "incident": archived.view.incident })).map_err(internal)
            } else {
                Err(reused())
            };
        }
    }
    let input = StartIncident {
        id: id.clone(),
        tenant_id: call.auth.client_id.clone(),
        prompt: request.prompt,
        title: request.title,
        severity: request.severity,
        created_by: call.auth.user_id.clone(),
        source: Source::Dashboard,
        entry_points: Vec::new(),
        services: Vec::new(),
    };
    let stub = namespace
        .get(&id)
        .map_err(|e| ApiError::internal(e.message))?;
    let handle = IncidentHandle::new(stub, call.auth.client_id.clone());
    let now_ms = Date::now().as_millis() as i64;
    // Bad input is refused there before the Durable Object is called: it creates nothing.
    let started = declare(call.database()?.as_ref(), &handle, input, now_ms).await?;
    match started {
        Started::Created(incident) => {
            http::json(201, &json!({ "incident": incident })).map_err(internal)
        }
        Started::AlreadyExisted(incident)
            if incident.tenant_id == call.auth.client_id && incident.prompt == prompt =>
        {
            http::json(200, &json!({ "incident": incident })).map_err(internal)
        }
        Started::AlreadyExisted(_) => Err(reused()),
    }
}

async fn change(call: &Call, id: &str, route: &str) -> Handled {
    let command = requests::command(route, &call.body, &call.auth.user_id)?;
    let creates = command.creates();
    let outcome = call
        .incident(id)?
        .apply(
            Actor::user(call.auth.user_id.clone()),
            command,
            Idempotency::Signature(call.auth.request_id.clone()),
        )
        .await;
    match outcome {
        Ok(applied) => {
            let status = if creates && !applied.duplicate {
                201
            } else {
                200
            };
            http::json(status, &applied).map_err(internal)
        }
        // A closed incident's object deleted its storage once archived: closed, not gone.
        Err(IncidentCallError::Domain(DomainError::NotFound))
            if call.archived(id).await?.is_some() =>
        {
            Err(ApiError::from(DomainError::conflict(
                Conflict::IncidentClosed,
                "the incident is closed; it accepts no more changes",
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// The post-incident analysis: 404 until the incident is closed, archived and analysed.
async fn analysis(call: &Call, id: &str) -> Handled {
    let found = incidentd_adapters::dashboard::analysis::load(
        call.database()?.as_ref(),
        &call.auth.client_id,
        id,
    )
    .await
    .map_err(|e| ApiError::internal(format!("analysis: {e}")))?;
    match found {
        Some(analysis) => http::json(200, &analysis).map_err(internal),
        None => Err(ApiError::new(
            404,
            "NOT_FOUND",
            "no analysis (yet): it is made once the incident is closed and archived",
        )),
    }
}

/// One page of the caller's incidents (`query`: the raw query string, without `?`).
async fn list(call: &Call, query: &str) -> Handled {
    let query = ListQuery::parse(query)?;
    let page =
        list::list_incidents(call.database()?.as_ref(), &call.auth.client_id, &query).await?;
    http::json(200, &page).map_err(internal)
}

/// Runs a read on the live object; when the object has been finalised, `archived` answers
/// from the incident's archive instead (still 404 when there is none).
async fn live_or_archived<T>(
    call: &Call,
    id: &str,
    live: std::result::Result<T, IncidentCallError>,
    respond: impl FnOnce(T) -> Handled,
    archived: impl FnOnce(ArchivedIncident) -> Handled,
) -> Handled {
    match live {
        Ok(value) => respond(value),
        Err(IncidentCallError::Domain(DomainError::NotFound)) => match call.archived(id).await? {
            Some(record) => archived(record),
            None => Err(ApiError::from(DomainError::NotFound)),
        },
        Err(e) => Err(e.into()),
    }
}

async fn get(call: &Call, id: &str) -> Handled {
    let live = call.incident(id)?.get().await;
    live_or_archived(
        call,
        id,
        live,
        |view| http::json(200, &view).map_err(internal),
        |record| {
            let view = record.view;
            http::json(
                200,
                &json!({ "incident": view.incident, "timeline": view.timeline, "archived": true }),
            )
            .map_err(internal)
        },
    )
    .await
}

async fn dead_letters(call: &Call, id: &str) -> Handled {
    let live = call.incident(id)?.dead_letters().await;
    live_or_archived(
        call,
        id,
        live,
        |dead| http::json(200, &json!({ "dead_letters": dead })).map_err(internal),
        // An incident is archived only once nothing is dead-lettered.
        |_| http::json(200, &json!({ "dead_letters": [], "archived": true })).map_err(internal),
    )
    .await
}

/// An event id in a path: anything but a number names no event.
fn event_id_segment(segment: &str) -> Result<i64, ApiError> {
    segment
        .parse()
        .map_err(|_| ApiError::from(DomainError::NotFound))
}

async fn replay(call: &Call, id: &str, event_id: &str) -> Handled {
    parse_body::<Replay>(&call.body)?;
    let event_id = event_id_segment(event_id)?;
    call.incident(id)?.replay(event_id).await?;
    http::json(200, &json!({ "replayed": event_id })).map_err(internal)
}

async fn failed_effects(call: &Call, id: &str) -> Handled {
    let live = call.incident(id)?.failed_effects().await;
    live_or_archived(
        call,
        id,
        live,
        |failed| http::json(200, &json!({ "failed_effects": failed })).map_err(internal),
        // An incident is archived only once no effect is listed failed.
        |_| http::json(200, &json!({ "failed_effects": [], "archived": true })).map_err(internal),
    )
    .await
}

async fn retry_effect(call: &Call, id: &str, event_id: &str, effect: &str) -> Handled {
    parse_body::<RetryEffect>(&call.body)?;
    let event_id = event_id_segment(event_id)?;
    let round = call.incident(id)?.retry_effect(event_id, effect).await?;
    http::json(
        200,
        &json!({ "retried": { "event_id": event_id, "effect": effect, "round": round } }),
    )
    .map_err(internal)
}

/// The operator gives up on one failed effect: an `EFFECT_DISMISSED` event by the caller,
/// which releases the effect's lane.
async fn dismiss_effect(call: &Call, id: &str, event_id: &str, effect: &str) -> Handled {
    parse_body::<DismissEffect>(&call.body)?;
    let event_id = event_id_segment(event_id)?;
    let applied = call
        .incident(id)?
        .dismiss_effect(
            Actor::user(call.auth.user_id.clone()),
            event_id,
            effect,
            Idempotency::Signature(call.auth.request_id.clone()),
        )
        .await?;
    http::json(
        200,
        &json!({ "dismissed": { "event_id": event_id, "effect": effect,
                 "dismissal_event_id": applied.event_id } }),
    )
    .map_err(internal)
}

async fn workflow_status(call: &Call, id: &str) -> Handled {
    // The tenant check comes from the Durable Object (or the archive's tenant column).
    let handle = call.incident(id)?;
    let live = handle.workflow_instance().await;
    // Each effect's lane, from the object (an archived incident's lanes all finished).
    let lanes = match &live {
        Ok(_) => handle.lanes().await?,
        Err(_) => Vec::new(),
    };
    let (instance_id, archived) = match live {
        Ok(instance_id) => (instance_id, false),
        Err(IncidentCallError::Domain(DomainError::NotFound)) => match call.archived(id).await? {
            Some(record) => (
                record
                    .workflow_instance
                    .unwrap_or_else(|| incidentd_core::workflow_instance_id(id)),
                true,
            ),
            None => return Err(ApiError::from(DomainError::NotFound)),
        },
        Err(e) => return Err(e.into()),
    };
    let client = call
        .services
        .workflow_of_class(incidentd_workflows::incident::CLASS)
        .map_err(|e| ApiError::internal(e.message))?;
    match client.status(&instance_id).await {
        Ok(status) => {
            let mut body = json!({ "instance_id": instance_id, "status": status, "lanes": lanes });
            if archived {
                body["archived"] = json!(true);
            }
            http::json(200, &body).map_err(internal)
        }
        Err(e) => Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("workflow instance {instance_id}: {e}"),
        )),
    }
}
