//! The outbound HTTP port. Every call has a timeout; a response's status maps onto retry
//! semantics ([`EffectError::from_status`]): 429 and 5xx are retried (honouring
//! `Retry-After`), other 4xx are not. Base URLs are configuration, so tests point senders at
//! recording servers on 127.0.0.1.

use crate::duration::Duration;
use crate::error::EffectError;

/// An outbound HTTP request, sent with [`HttpClient::send`] (in a handler:
/// `ctx.services.http().send(request)`). Build one with [`HttpRequest::post_json`] or a struct
/// literal, then add headers with [`HttpRequest::header`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method, upper case (`"POST"`).
    pub method: String,
    /// The absolute URL, base URL from configuration included.
    pub url: String,
    /// Headers in the order sent; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The raw body (empty for none).
    pub body: Vec<u8>,
    /// How long the whole exchange may take before it fails as an [`HttpError`].
    pub timeout: Duration,
}

impl HttpRequest {
    /// A JSON `POST` with a 10 s timeout.
    pub fn post_json(url: &str, body: &serde_json::Value) -> Self {
        HttpRequest {
            method: "POST".into(),
            url: url.to_owned(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Adds the header `name: value` (after those already set).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A response of any status, as the host received it (the body read in full).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers as received, names in the case the server sent.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (compared case-insensitively), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Ok` for 2xx, else the matching [`EffectError`].
    pub fn error_for_status(self, what: &str) -> Result<HttpResponse, EffectError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let retry_after = self
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(EffectError::from_status(what, self.status, retry_after))
    }
}

impl EffectError {
    /// 429 and 5xx are transient (429 waits `Retry-After` when given); other statuses are not.
    pub fn from_status(what: &str, status: u16, retry_after: Option<Duration>) -> EffectError {
        let message = format!("{what}: HTTP {status}");
        match status {
            429 => {
                let error = EffectError::retryable(message);
                match retry_after {
                    Some(wait) => error.with_retry_after(wait),
                    None => error,
                }
            }
            500..=599 => EffectError::retryable(message),
            _ => EffectError::non_retryable(message),
        }
    }
}

/// Transport failure (no response): connection refused, timeout. Always retryable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError(pub String);

impl From<HttpError> for EffectError {
    fn from(e: HttpError) -> Self {
        EffectError::retryable(e.0)
    }
}

/// The transport an effect sends its requests with: `fetch` on Cloudflare, a blocking client
/// natively. Reached through [`Services::http`](crate::workflow::Services::http).
#[async_trait::async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request` and returns the response of whatever status. An `Err` means no
    /// response arrived (connection refused, DNS, [`HttpRequest::timeout`] reached); map statuses
    /// with [`HttpResponse::error_for_status`].
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> HttpResponse {
        let headers = retry_after
            .map(|v| vec![("Retry-After".to_owned(), v.to_owned())])
            .unwrap_or_default();
        HttpResponse {
            status,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn statuses_map_onto_retry_semantics() {
        assert!(response(204, None).error_for_status("x").is_ok());
        let limited = response(429, Some("7")).error_for_status("x").unwrap_err();
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after, Some(Duration::from_secs(7)));
        assert!(response(503, None)
            .error_for_status("x")
            .unwrap_err()
            .is_retryable());
        assert!(!response(404, None)
            .error_for_status("x")
            .unwrap_err()
            .is_retryable());
        assert!(!response(400, None)
            .error_for_status("x")
            .unwrap_err()
            .is_retryable());
    }
}
