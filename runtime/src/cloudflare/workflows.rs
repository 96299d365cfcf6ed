//! [`WorkflowClient`] over a workflow binding.

use super::bindings::{WorkflowBinding, WorkflowInstance};
use super::js;
use crate::workflow::{Created, WorkflowClient, WorkflowClientError, WorkflowClientErrorKind};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A workflow binding as a [`WorkflowClient`].
pub struct CfWorkflowClient {
    binding: WorkflowBinding,
}

/// Classifies the engine's error once, here: it reports a duplicate id or a missing instance
/// only in the error's text.
fn failure(context: &str, e: &JsValue) -> WorkflowClientError {
    let message = js::error_message(e);
    let lower = message.to_ascii_lowercase();
    let kind = if lower.contains("already") && lower.contains("exist") {
        WorkflowClientErrorKind::AlreadyExists
    } else if lower.contains("not found") || lower.contains("not_found") {
        WorkflowClientErrorKind::NotFound
    } else {
        WorkflowClientErrorKind::Other
    };
    WorkflowClientError::of(kind, format!("{context}: {message}"))
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
    /// Wraps `binding`, the workflow binding's value in the Worker's `env`.
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

#[async_trait::async_trait(?Send)]
impl WorkflowClient for CfWorkflowClient {
    async fn create(
        &self,
        instance_id: &str,
        params: &Value,
    ) -> Result<Created, WorkflowClientError> {
        let options = js::to_js(&json!({ "id": instance_id, "params": params }));
        match settle(self.binding.create(&options), "workflow create").await {
            Ok(_) => Ok(Created::New),
            Err(e) if e.kind == WorkflowClientErrorKind::AlreadyExists => {
                Ok(Created::AlreadyExisted)
            }
            Err(e) => Err(e),
        }
    }

    async fn send_event(
        &self,
        instance_id: &str,
        event_type: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError> {
        let instance = self.instance(instance_id).await?;
        let event = js::to_js(&json!({ "type": event_type, "payload": payload }));
        settle(instance.send_event(&event), "workflow sendEvent")
            .await
            .map(drop)
    }

    async fn status(&self, instance_id: &str) -> Result<Value, WorkflowClientError> {
        let instance = self.instance(instance_id).await?;
        let status = settle(instance.status(), "workflow status").await?;
        js::from_js(&status).map_err(WorkflowClientError::new)
    }
}
