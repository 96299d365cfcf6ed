//! [`HttpClient`] for native tests (blocking `ureq`; tests only talk to servers on 127.0.0.1).

use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};
use std::io::Read;

/// The native [`HttpClient`]: a blocking `ureq` request honouring [`HttpRequest::timeout`]
/// (tests only talk to servers on 127.0.0.1, so blocking the single test thread is fine).
#[derive(Default)]
pub struct NativeHttp;

#[async_trait::async_trait(?Send)]
impl HttpClient for NativeHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let agent = ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_millis(
                request.timeout.as_millis(),
            ))
            .build();
        let mut call = agent.request(&request.method, &request.url);
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        let response = match call.send_bytes(&request.body) {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => {
                return Err(HttpError(format!(
                    "{} {}: {e}",
                    request.method, request.url
                )))
            }
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| response.header(&name).map(|v| (name.clone(), v.to_owned())))
            .collect();
        let mut body = Vec::new();
        response
            .into_reader()
            .read_to_end(&mut body)
            .map_err(|e| HttpError(e.to_string()))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
