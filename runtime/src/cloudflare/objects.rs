//! [`ObjectNamespace`] and [`ObjectStub`] over a Durable Object binding. The transport is
//! `stub.fetch`: one POST to [`OBJECT_CALL_PATH`] carrying the serialised request, answered
//! with the serialised reply (domain errors travel inside the reply, so any non-2xx status
//! is a transport failure). `Stub::into_rpc` would replace only this file.

use crate::object::{is_object_id, ObjectCallError, ObjectNamespace, ObjectStub};
use std::rc::Rc;
use worker::{Method, Request, RequestInit, Response};

/// The path the object's `fetch` serves protocol calls on.
pub const OBJECT_CALL_PATH: &str = "/call";

pub struct CfObjects {
    namespace: worker::ObjectNamespace,
}

impl CfObjects {
    pub fn new(namespace: worker::ObjectNamespace) -> Self {
        Self { namespace }
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
        Ok(Rc::new(CfObjectStub { stub }))
    }
}

struct CfObjectStub {
    stub: worker::Stub,
}

#[async_trait::async_trait(?Send)]
impl ObjectStub for CfObjectStub {
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
