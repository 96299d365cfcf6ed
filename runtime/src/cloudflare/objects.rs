//! [`ObjectNamespace`] and [`ObjectStub`] over a Durable Object binding, with two transports
//! for the same serialised request and reply (domain errors travel inside the reply):
//! - [`Transport::Rpc`]: Durable Object RPC, `stub.call(request)` (`Stub::into_rpc`); the
//!   object's class must extend `DurableObject` (the generated JS entry does that);
//! - [`Transport::Fetch`]: `stub.fetch`, one POST to [`OBJECT_CALL_PATH`] (any non-2xx status
//!   is a transport failure).

use super::js;
use crate::object::{is_object_id, ObjectCallError, ObjectNamespace, ObjectStub};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::{Method, Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub seen as an RPC target with one method.
    type ObjectRpcStub;

    #[wasm_bindgen(method, catch)]
    fn call(this: &ObjectRpcStub, request: &str) -> Result<js_sys::Promise, JsValue>;
}

/// How calls reach the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Durable Object RPC: `stub.call(request)`.
    Rpc,
    /// `stub.fetch`: one POST to [`OBJECT_CALL_PATH`].
    Fetch,
}

/// The path the object's `fetch` serves protocol calls on.
pub const OBJECT_CALL_PATH: &str = "/call";

/// A Durable Object namespace binding as an [`ObjectNamespace`].
pub struct CfObjects {
    namespace: worker::ObjectNamespace,
    transport: Transport,
}

impl CfObjects {
    /// Wraps `namespace`, calling its objects over `transport`.
    pub fn new(namespace: worker::ObjectNamespace, transport: Transport) -> Self {
        Self {
            namespace,
            transport,
        }
    }
}

impl ObjectNamespace for CfObjects {
    fn id_from_name(&self, name: &str) -> Result<String, ObjectCallError> {
        self.namespace
            .id_from_name(name)
            .map(|id| id.to_string())
            .map_err(|e| ObjectCallError::transport(format!("idFromName: {e}")))
    }

    fn get(&self, id: &str) -> Result<Rc<dyn ObjectStub>, ObjectCallError> {
        if !is_object_id(id) {
            return Err(ObjectCallError::not_found(format!(
                "not an object id: {id}"
            )));
        }
        let stub = self
            .namespace
            .id_from_string(id)
            .map_err(|e| ObjectCallError::not_found(format!("not an object id: {e}")))?
            .get_stub()
            .map_err(|e| ObjectCallError::transport(format!("get: {e}")))?;
        Ok(match self.transport {
            Transport::Rpc => Rc::new(RpcObjectStub {
                stub: stub.into_rpc(),
            }),
            Transport::Fetch => Rc::new(FetchObjectStub { stub }),
        })
    }
}

struct RpcObjectStub {
    stub: ObjectRpcStub,
}

#[async_trait::async_trait(?Send)]
impl ObjectStub for RpcObjectStub {
    async fn call(&self, request: String) -> Result<String, ObjectCallError> {
        let fail = |e: JsValue| {
            ObjectCallError::transport(format!("object call: {}", js::error_message(&e)))
        };
        let reply = JsFuture::from(self.stub.call(&request).map_err(fail)?)
            .await
            .map_err(fail)?;
        reply
            .as_string()
            .ok_or_else(|| ObjectCallError::transport("object call: the reply is not a string"))
    }
}

struct FetchObjectStub {
    stub: worker::Stub,
}

#[async_trait::async_trait(?Send)]
impl ObjectStub for FetchObjectStub {
    async fn call(&self, request: String) -> Result<String, ObjectCallError> {
        let fail = |e: worker::Error| ObjectCallError::transport(format!("object call: {e}"));
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(request.into()));
        let outgoing = Request::new_with_init(&format!("https://object{OBJECT_CALL_PATH}"), &init)
            .map_err(fail)?;
        let mut response = self.stub.fetch_with_request(outgoing).await.map_err(fail)?;
        let status = response.status_code();
        let body = response.text().await.map_err(fail)?;
        if status != 200 {
            return Err(ObjectCallError::transport(format!(
                "object call answered {status}: {body}"
            )));
        }
        Ok(body)
    }
}

/// The object side: reads a protocol call and answers `serve(request)`'s reply. Anything
/// else is a 404, so the object's `fetch` has one entry point.
pub async fn serve_object_call(
    mut request: Request,
    serve: impl FnOnce(String) -> String,
) -> worker::Result<Response> {
    if request.method() != Method::Post || request.path() != OBJECT_CALL_PATH {
        return Response::error("not found", 404);
    }
    let body = request.text().await?;
    Response::ok(serve(body))
}
