//! JSON responses of the API.

use incidentd_adapters::dashboard::receiver::ApiError;
use serde::Serialize;
use worker::{Response, Result};

pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

pub fn error(e: &ApiError) -> Result<Response> {
    json(e.status, &e.body())
}
