//! The public status page routes (`/status/:slug`, `/status/:slug/summary.json`,
//! `/status/:slug/history.atom`): unauthenticated and read-only (GET and HEAD). This file only reads D1
//! and copies the answer of `incidentd_adapters::status_page::response` onto a Response.

use incidentd_adapters::http::routes::Allow;
use incidentd_adapters::http::ApiError;
use incidentd_adapters::status_page::response::{self, Answer, Document};
use incidentd_adapters::status_page::{store, STATUS_DATABASE};
use sluice::cloudflare::CfServices;
use sluice::workflow::Services;
use worker::{Date, Env, Request, Response};

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

/// A page's `document` at `slug` (GET or HEAD: the route table sent nothing else).
pub async fn route(
    req: &Request,
    env: &Env,
    document: Document,
    slug: &str,
) -> Result<Response, ApiError> {
    if !response::plausible_slug(slug) {
        return respond(response::not_found(document));
    }
    let url = req.url().map_err(internal)?;
    let origin = url.origin().ascii_serialization();
    let services = CfServices::new(env.clone().into());
    let db = services
        .database(STATUS_DATABASE)
        .map_err(|e| internal(e.message))?;
    let now = Date::now().as_millis() as i64;
    let page = store::load(db.as_ref(), slug, &origin, now)
        .await
        .map_err(|e| ApiError::new(500, "STORAGE_ERROR", format!("status page: {e}")))?;
    let if_none_match = req.headers().get("if-none-match").map_err(internal)?;
    respond(response::answer(
        document,
        page.as_ref(),
        if_none_match.as_deref(),
    ))
}

/// A path under `/status/` that names no document: the page's HTML 404 (JSON for a
/// `summary.json`).
pub fn not_found(path: &str) -> Result<Response, ApiError> {
    let document = if path.trim_end_matches('/').ends_with("/summary.json") {
        Document::Summary
    } else {
        Document::Html
    };
    respond(response::not_found(document))
}

/// 405 in the page's plain-text form, `Allow` from the route table.
pub fn method_not_allowed(allow: &Allow) -> Result<Response, ApiError> {
    respond(response::method_not_allowed(allow))
}

fn respond(answer: Answer) -> Result<Response, ApiError> {
    let response = if answer.body.is_empty() {
        Response::empty()
    } else {
        Response::ok(answer.body)
    }
    .map_err(internal)?
    .with_status(answer.status);
    let headers = response.headers();
    headers
        .set("content-type", answer.content_type)
        .map_err(internal)?;
    headers
        .set("cache-control", answer.cache_control)
        .map_err(internal)?;
    headers
        .set("x-content-type-options", "nosniff")
        .map_err(internal)?;
    if let Some(etag) = &answer.etag {
        headers.set("etag", etag).map_err(internal)?;
    }
    if let Some(allow) = answer.allow {
        headers.set("allow", &allow).map_err(internal)?;
    }
    Ok(response)
}
