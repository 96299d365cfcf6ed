//! The Slack OAuth install's routes: `GET /slack/install?tenant=<id>` (operator bearer token;
//! 302 to Slack's authorize page with a signed state) and `GET /slack/oauth/callback` (the
//! person's browser, back from Slack; answers a small HTML page). The logic is in
//! `incidentd_adapters::slack::inbound::oauth`; this is the HTTP glue. No secret reaches a log line, a
//! page or a reply.

use crate::http;
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_adapters::http::operator::{verify_operator, ADMIN_TOKEN_SECRET};
use incidentd_adapters::http::ApiError;
use incidentd_adapters::slack::inbound::oauth::{self, CallbackQuery, OAuthApp};
use incidentd_adapters::slack::{config, installation};
use serde_json::json;
use sluice::cloudflare::CfServices;
use sluice::log;
use sluice::workflow::Services;
use worker::{Date, Env, Headers, Request, Response};

type Handled = std::result::Result<Response, ApiError>;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

/// Nothing on these routes may be cached: links expire, pages follow a one-time code.
fn private_headers() -> worker::Result<Headers> {
    let headers = Headers::new();
    headers.set("cache-control", "no-store")?;
    // The callback's URL holds the code: keep it out of any Referer.
    headers.set("referrer-policy", "no-referrer")?;
    Ok(headers)
}

pub async fn install(req: Request, env: Env) -> Handled {
    let services = CfServices::new(env.into());
    let authorization = req.headers().get("authorization").map_err(internal)?;
    verify_operator(
        authorization.as_deref(),
        services.var(ADMIN_TOKEN_SECRET).as_deref(),
    )?;
    let url = req.url().map_err(internal)?;
    let tenant = url
        .query_pairs()
        .find(|(name, _)| name == "tenant")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|tenant| !tenant.is_empty())
        .ok_or_else(|| ApiError::new(400, "INVALID_INPUT", "tenant: required (?tenant=<id>)"))?;
    let app = OAuthApp::from_services(&services, &url.origin().ascii_serialization())
        .map_err(|e| ApiError::new(503, "NOT_CONFIGURED", e.to_string()))?;
    let db = services
        .database(INDEX_DATABASE)
        .map_err(|e| internal(e.message))?;
    if !installation::tenant_exists(db.as_ref(), &tenant)
        .await
        .map_err(internal)?
    {
        return Err(ApiError::new(404, "NOT_FOUND", "no such tenant"));
    }
    let nonce = oauth::random_nonce().ok_or_else(|| internal("no randomness available"))?;
    let now_secs = (Date::now().as_millis() / 1_000) as i64;
    let link = app.authorize_link(&tenant, now_secs, nonce);
    let headers = private_headers().map_err(internal)?;
    headers.set("location", &link).map_err(internal)?;
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    // The body repeats the link for clients that do not follow redirects (incidentctl).
    Ok(http::json(
        302,
        &json!({ "authorize_url": link, "expires_in": oauth::STATE_LIFETIME_SECS }),
    )
    .map_err(internal)?
    .with_headers(headers))
}

fn html(status: u16, page: String) -> Handled {
    let response = Response::from_html(page).map_err(internal)?;
    let headers = response.headers().clone();
    for (name, value) in private_headers().map_err(internal)?.entries() {
        headers.set(&name, &value).map_err(internal)?;
    }
    Ok(response.with_status(status).with_headers(headers))
}

pub async fn callback(req: Request, env: Env) -> Handled {
    let services = CfServices::new(env.into());
    let url = req.url().map_err(internal)?;
    let query = CallbackQuery::parse(url.query().unwrap_or_default());
    let not_configured = |what: String| {
        log::error(&format!("slack oauth: {what}"));
        html(
            503,
            oauth::page(
                "Slack not connected",
                &format!("Nothing was connected: {what}."),
            ),
        )
    };
    let app = match OAuthApp::from_services(&services, &url.origin().ascii_serialization()) {
        Ok(app) => app,
        Err(e) => return not_configured(e.to_string()),
    };
    let key = match config::token_key(&services) {
        Ok(key) => key,
        Err(e) => return not_configured(format!("{}: {e}", config::TOKEN_KEY_VAR)),
    };
    let db = services
        .database(INDEX_DATABASE)
        .map_err(|e| internal(e.message))?;
    let http = services.http();
    let now_ms = Date::now().as_millis() as i64;
    match oauth::complete(db.as_ref(), http.as_ref(), &key, &app, &query, now_ms).await {
        Ok(connected) => {
            log::info(&format!(
                "slack: workspace {} connected to tenant {} (OAuth)",
                connected.team_id, connected.tenant
            ));
            html(200, oauth::connected_page(&connected))
        }
        Err(e) => {
            // The reason never holds a secret: codes, ids and Slack's error names only.
            log::info(&format!("slack oauth: nothing connected: {e}"));
            html(e.status(), oauth::failed_page(&e))
        }
    }
}
