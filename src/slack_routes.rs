//! Slack's routes and the operator's: `POST /slack/events`, `/slack/interactions` and
//! `/slack/commands` (signed by Slack, verified by one function over the raw body before
//! anything is parsed or written) and `/admin/slack/installations` (connect, list, show,
//! settings; `ADMIN_TOKEN` bearer). The logic is in `incidentd_adapters::slack::inbound::{event_receiver,
//! interaction_receiver, command_receiver, admin, installation}`; this is the HTTP glue.
//! Tokens and secrets never reach a log line or a reply.

use crate::http;
use incidentd_adapters::admin::requests::{check_id, parse};
use incidentd_adapters::dashboard::receiver::requests::MAX_BODY_BYTES as ADMIN_MAX_BODY_BYTES;
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_adapters::http::operator::{verify_operator, ADMIN_TOKEN_SECRET};
use incidentd_adapters::http::ApiError;
use incidentd_adapters::slack::inbound::admin::{installation_summary, parse_connect};
use incidentd_adapters::slack::inbound::command_receiver::{self, handle_command};
use incidentd_adapters::slack::inbound::event_receiver::{handle_events, EventsOutcome};
use incidentd_adapters::slack::inbound::interaction_receiver::handle_interaction;
use incidentd_adapters::slack::inbound::tenant_access::{ReceiveError, SlackAccess};
use incidentd_adapters::slack::{config, installation};
use incidentd_core::INCIDENT_OBJECT_BINDING;
use incidentd_wire::slack_install::{Connected, InstallationSummary, SettingsRequest};
use incidentd_wire::slack_signing;
use serde_json::{json, Value};
use sluice::cloudflare::CfServices;
use sluice::log;
use sluice::object::ObjectNamespace;
use sluice::sql::Database;
use sluice::workflow::Services;
use std::rc::Rc;
use worker::{Date, Env, Request, Response};

type Handled = std::result::Result<Response, ApiError>;

/// Slack's payloads are a few KiB; anything near this is not Slack.
const MAX_BODY_BYTES: usize = 256 * 1024;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

async fn body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(413, "PAYLOAD_TOO_LARGE", "body too large"));
    }
    Ok(body)
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A Slack POST whose signature held: its raw body and what the receivers need.
struct Verified {
    body: Vec<u8>,
    services: CfServices,
    now_ms: i64,
}

impl Verified {
    fn db(&self) -> Result<Rc<dyn Database>, ApiError> {
        self.services
            .database(INDEX_DATABASE)
            .map_err(|e| internal(e.message))
    }

    fn incidents(&self) -> Result<Rc<dyn ObjectNamespace>, ApiError> {
        self.services
            .objects(INCIDENT_OBJECT_BINDING)
            .map_err(|e| internal(e.message))
    }
}

/// The one check of every Slack POST: the v0 signature over the raw body, before anything
/// is parsed or written; 401 when it fails.
async fn verified(mut req: Request, env: Env, route: &str) -> Result<Verified, ApiError> {
    let body = body(&mut req).await?;
    let services = CfServices::new(env.into());
    let (timestamp, sig) = (
        header(&req, slack_signing::HEADER_TIMESTAMP),
        header(&req, slack_signing::HEADER_SIGNATURE),
    );
    let lookup = |name: &str| match name {
        slack_signing::HEADER_TIMESTAMP => timestamp.as_deref(),
        slack_signing::HEADER_SIGNATURE => sig.as_deref(),
        _ => None,
    };
    let secret = config::signing_secret(&services);
    let now_ms = Date::now().as_millis() as i64;
    if let Err(e) = slack_signing::verify(
        secret.as_ref().map(|s| s.expose().as_bytes()),
        &body,
        lookup,
        now_ms / 1_000,
    ) {
        // The reason is safe to log: it never holds the secret or the signature.
        log::info(&format!("slack {route}: refused: {e}"));
        return Err(ApiError::new(
            401,
            "UNAUTHORIZED",
            "invalid Slack signature",
        ));
    }
    Ok(Verified {
        body,
        services,
        now_ms,
    })
}

/// 200 with `body`, or an empty 200 (what closes a submitted modal), typed as plain text so
/// no client takes the empty body for JSON.
fn acknowledge(body: Option<Value>) -> Handled {
    match body {
        Some(body) => http::json(200, &body).map_err(internal),
        None => {
            let response = Response::empty().map_err(internal)?;
            response
                .headers()
                .set("content-type", "text/plain; charset=utf-8")
                .map_err(internal)?;
            Ok(response)
        }
    }
}

fn bad_payload(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(400, "INVALID_BODY", e.to_string())
}

/// Slack's `type` tags are strings. serde would read a number in their place as a variant's
/// index (`{"type": 1}` as an `event_callback`), so anything else is refused first: the
/// tags at `paths` (object keys, `*` for every array item) must be strings where present.
fn string_tags(json: &[u8], paths: &[&[&str]]) -> Result<(), ApiError> {
    fn check(value: &Value, path: &[&str]) -> bool {
        match (path.split_first(), value) {
            (None, value) => value.is_string(),
            (Some((&"*", rest)), Value::Array(items)) => items.iter().all(|i| check(i, rest)),
            (Some((key, rest)), Value::Object(map)) => map.get(*key).is_none_or(|v| check(v, rest)),
            // Another shape: the parser refuses it with its own reason.
            _ => true,
        }
    }
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return Ok(());
    };
    match paths.iter().all(|path| check(&value, path)) {
        true => Ok(()),
        false => Err(bad_payload(
            "malformed Slack payload: a type tag is not a string",
        )),
    }
}

pub async fn events(req: Request, env: Env) -> Handled {
    let request = verified(req, env, "events").await?;
    string_tags(&request.body, &[&["type"], &["event", "type"]])?;
    let (db, incidents) = (request.db()?, request.incidents()?);
    match handle_events(
        db.as_ref(),
        incidents.as_ref(),
        &request.body,
        request.now_ms,
    )
    .await
    {
        Ok(EventsOutcome::Challenge(challenge)) => {
            http::json(200, &json!({ "challenge": challenge })).map_err(internal)
        }
        Ok(outcome) => {
            log::info(&format!("slack events: {outcome:?}"));
            http::json(200, &json!({})).map_err(internal)
        }
        Err(ReceiveError::BadPayload(e)) => Err(bad_payload(e)),
        // 500: Slack retries the event, which the receiver makes harmless.
        Err(e @ ReceiveError::Transient(_)) => {
            log::error(&format!("slack events: {e}"));
            Err(internal(e))
        }
    }
}

pub async fn interactions(req: Request, env: Env) -> Handled {
    let request = verified(req, env, "interactions").await?;
    let payload = form_urlencoded::parse(&request.body)
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    string_tags(payload.as_bytes(), &[&["type"], &["actions", "*", "type"]])?;
    let (db, incidents) = (request.db()?, request.incidents()?);
    let slack = SlackAccess::from_services(&request.services);
    match handle_interaction(
        db.as_ref(),
        incidents.as_ref(),
        &slack,
        &request.body,
        request.now_ms,
    )
    .await
    {
        Ok(reply) => {
            log::info(&format!("slack interactions: {:?}", reply.outcomes));
            acknowledge(reply.body)
        }
        Err(ReceiveError::BadPayload(e)) => Err(bad_payload(e)),
        // Slack does not retry interactions: the person sees the failure and can try again.
        Err(e @ ReceiveError::Transient(_)) => {
            log::error(&format!("slack interactions: {e}"));
            Err(internal(e))
        }
    }
}

pub async fn commands(req: Request, env: Env) -> Handled {
    let request = verified(req, env, "commands").await?;
    let (db, incidents) = (request.db()?, request.incidents()?);
    match handle_command(
        db.as_ref(),
        incidents.as_ref(),
        &request.body,
        request.now_ms,
    )
    .await
    {
        Ok(reply) => {
            log::info(&format!("slack commands: {:?}", reply.outcome));
            acknowledge(reply.body)
        }
        Err(ReceiveError::BadPayload(e)) => Err(bad_payload(e)),
        // Slack shows a 5xx as a bare failure: answer 200 with an explanation instead.
        Err(e @ ReceiveError::Transient(_)) => {
            log::error(&format!("slack commands: {e}"));
            acknowledge(Some(command_receiver::unavailable_answer()))
        }
    }
}

/// The operator's bearer token checked, before anything else.
fn operator(req: &Request, env: Env) -> Result<CfServices, ApiError> {
    let services = CfServices::new(env.into());
    let authorization = header(req, "authorization");
    let secret = services.var(ADMIN_TOKEN_SECRET);
    verify_operator(authorization.as_deref(), secret.as_deref())?;
    Ok(services)
}

fn index_db(services: &CfServices) -> Result<Rc<dyn Database>, ApiError> {
    services
        .database(INDEX_DATABASE)
        .map_err(|e| internal(e.message))
}

fn no_installation() -> ApiError {
    ApiError::new(
        404,
        "NOT_FOUND",
        "no such tenant, or it has no Slack installation",
    )
}

/// `GET /admin/slack/installations`: every installation, disabled ones included.
pub async fn list_installations(req: Request, env: Env) -> Handled {
    let services = operator(&req, env)?;
    let listed = installation::list(index_db(&services)?.as_ref())
        .await
        .map_err(internal)?;
    let summaries: Vec<InstallationSummary> = listed.iter().map(installation_summary).collect();
    http::json(200, &json!({ "installations": summaries })).map_err(internal)
}

/// `GET /admin/slack/installations/{tenant}`.
pub async fn show_installation(req: Request, env: Env, tenant: &str) -> Handled {
    let services = operator(&req, env)?;
    check_id("tenant", tenant)?;
    let found = installation::any_for_tenant(index_db(&services)?.as_ref(), tenant)
        .await
        .map_err(internal)?
        .ok_or_else(no_installation)?;
    let summary = installation_summary(&found);
    http::json(200, &json!({ "installation": summary })).map_err(internal)
}

/// `PATCH /admin/slack/installations/{tenant}`: the settings, as a patch.
pub async fn update_installation(mut req: Request, env: Env, tenant: &str) -> Handled {
    let services = operator(&req, env)?;
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > ADMIN_MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {ADMIN_MAX_BODY_BYTES} bytes"),
        ));
    }
    check_id("tenant", tenant)?;
    let request: SettingsRequest = parse(&body)?;
    request
        .validate()
        .map_err(|e| ApiError::new(422, "INVALID_INPUT", e))?;
    let updated = installation::update_settings(
        index_db(&services)?.as_ref(),
        tenant,
        &installation::SettingsPatch::from(&request),
    )
    .await
    .map_err(internal)?
    .ok_or_else(no_installation)?;
    log::info(&format!("slack: settings of tenant {tenant} changed"));
    let summary = installation_summary(&updated);
    http::json(200, &json!({ "installation": summary })).map_err(internal)
}

pub async fn connect(mut req: Request, env: Env) -> Handled {
    let services = operator(&req, env)?;
    let body = body(&mut req).await?;
    let request =
        parse_connect(&body).map_err(|e| ApiError::new(400, "INVALID_JSON", e.to_string()))?;
    request
        .validate()
        .map_err(|e| ApiError::new(422, "INVALID_INPUT", e))?;
    let key = config::token_key(&services).map_err(|e| {
        ApiError::new(
            503,
            "NOT_CONFIGURED",
            format!("{}: {e}", config::TOKEN_KEY_VAR),
        )
    })?;
    let db = services
        .database(INDEX_DATABASE)
        .map_err(|e| internal(e.message))?;
    if !installation::tenant_exists(db.as_ref(), &request.tenant)
        .await
        .map_err(internal)?
    {
        return Err(ApiError::new(404, "NOT_FOUND", "no such tenant"));
    }
    let new = installation::NewInstallation::from(request);
    let now_ms = Date::now().as_millis() as i64;
    installation::store(db.as_ref(), &key, &new, now_ms)
        .await
        .map_err(|e| match e {
            installation::StoreError::TeamTaken => ApiError::new(409, "CONFLICT", e.to_string()),
            other => internal(other),
        })?;
    log::info(&format!(
        "slack: workspace {} connected to tenant {}",
        new.team_id, new.tenant_id
    ));
    let connected = Connected {
        tenant: new.tenant_id,
        team_id: new.team_id,
        bot_user_id: new.bot_user_id,
    };
    http::json(201, &json!({ "installation": connected })).map_err(internal)
}
