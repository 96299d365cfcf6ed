//! [`HttpClient`] over the Workers `fetch`, with the request's timeout enforced by aborting.

use super::js;
use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};
use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

pub struct CfHttp;

fn method(name: &str) -> Method {
    Method::from(name.to_ascii_uppercase())
}

#[async_trait::async_trait(?Send)]
impl HttpClient for CfHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let fail = |e: worker::Error| HttpError(format!("{} {}: {e}", request.method, request.url));
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(fail)?;
        }
        let mut init = RequestInit::new();
        init.with_method(method(&request.method))
            .with_headers(headers);
        if !request.body.is_empty() {
            let body = js_sys::Uint8Array::from(request.body.as_slice());
            init.with_body(Some(body.into()));
        }
        let outgoing = Request::new_with_init(&request.url, &init).map_err(fail)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outgoing);
        let sending = Box::pin(fetch.send_with_signal(&signal));
        let timeout = Delay::from(std::time::Duration::from_millis(
            request.timeout.as_millis(),
        ));
        let mut response = match select(sending, timeout).await {
            Either::Left((result, _)) => result.map_err(fail)?,
            Either::Right(((), _)) => {
                controller.abort();
                return Err(HttpError(format!(
                    "{} {}: timed out after {}",
                    request.method, request.url, request.timeout
                )));
            }
        };
        let status = response.status_code();
        let headers = response.headers().entries().collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| HttpError(js::error_message(&e.into())))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
