//! [`WorkflowClient`] over a workflow binding.

use super::bindings::{WorkflowBinding, WorkflowInstance};
use super::js;
use crate::workflow::{Created, WorkflowClient, WorkflowClientError};
use crate::BoxFuture;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub struct CfWorkflowClient {
    binding: WorkflowBinding,
}

fn failure(context: &str, e: &JsValue) -> WorkflowClientError {
    WorkflowClientError(format!("{context}: {}", js::error_message(e)))
}

async fn settle(
    promise: Result<js_sys::Promise, JsValue>,
    context: &str,
) -> Result<JsValue, WorkflowClientError> {
    let promise = promise.map_err(|e| failure(context, &e))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| failure(context, &e))
}

impl CfWorkflowClient {
    pub fn new(binding: JsValue) -> Self {
        Self {
            binding: binding.unchecked_into(),
        }
    }

    async fn instance(&self, id: &str) -> Result<WorkflowInstance, WorkflowClientError> {
        Ok(settle(self.binding.get(id), "workflow get")
            .await?
            .unchecked_into())
    }
}

/// The engine reports a duplicate id as an error whose text says it already exists.
fn is_already_exists(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("already") && lower.contains("exist")
}

impl WorkflowClient for CfWorkflowClient {
    fn create<'a>(
        &'a self,
        instance_id: &'a str,
        params: &'a Value,
    ) -> BoxFuture<'a, Result<Created, WorkflowClientError>> {
        Box::pin(async move {
            let options = js::to_js(&json!({ "id": instance_id, "params": params }));
            match settle(self.binding.create(&options), "workflow create").await {
                Ok(_) => Ok(Created::New),
                Err(WorkflowClientError(message)) if is_already_exists(&message) => {
                    Ok(Created::AlreadyExisted)
                }
                Err(e) => Err(e),
            }
        })
    }

    fn send_event<'a>(
        &'a self,
        instance_id: &'a str,
        event_type: &'a str,
        payload: &'a Value,
    ) -> BoxFuture<'a, Result<(), WorkflowClientError>> {
        Box::pin(async move {
            let instance = self.instance(instance_id).await?;
            let event = js::to_js(&json!({ "type": event_type, "payload": payload }));
            settle(instance.send_event(&event), "workflow sendEvent")
                .await
                .map(drop)
        })
    }

    fn status<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Value, WorkflowClientError>> {
        Box::pin(async move {
            let instance = self.instance(instance_id).await?;
            let status = settle(instance.status(), "workflow status").await?;
            js::from_js(&status).map_err(WorkflowClientError)
        })
    }
}
