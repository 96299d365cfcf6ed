//! JSON responses of the API.

use incidentd_adapters::http::ApiError;
use serde::Serialize;
use worker::{Response, Result};

pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The error's JSON body, with `Allow` on a 405.
pub fn error(e: &ApiError) -> Result<Response> {
    let response = json(e.status, &e.body())?;
    if let Some(allow) = &e.allow {
        response.headers().set("allow", allow)?;
    }
    Ok(response)
}
