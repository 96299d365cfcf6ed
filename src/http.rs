//! JSON responses and the internal protocol between the router and the Durable Object.

use incidentd_adapters::dashboard::receiver::ApiError;
use serde::Serialize;
use worker::{Headers, Method, Request, RequestInit, Response, Result};

/// Header carrying the authenticated tenant to the Durable Object.
pub const TENANT_HEADER: &str = "x-incidentd-tenant";
/// Header carrying the verified request signature (replay detection).
pub const REQUEST_HEADER: &str = "x-incidentd-request";

pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

pub fn error(e: &ApiError) -> Result<Response> {
    json(e.status, &e.body())
}

/// A request to a Durable Object (the host part of the URL is ignored by the object).
pub fn internal(
    method: Method,
    path: &str,
    tenant: &str,
    request_id: &str,
    body: Option<String>,
) -> Result<Request> {
    let headers = Headers::new();
    headers.set(TENANT_HEADER, tenant)?;
    headers.set(REQUEST_HEADER, request_id)?;
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_body(body.map(Into::into));
    Request::new_with_init(&format!("https://incident{path}"), &init)
}
