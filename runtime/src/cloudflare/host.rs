//! The export the generated JS entry calls: `WorkflowHost.run(class, env, event, step, NonRetryableError)`.

use super::{js, CfServices, CfStep};
use crate::registry;
use crate::workflow::WorkflowRun;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Static entry point for every Workflow class (a struct with static methods, because
/// worker-build turns free functions into methods of the default entrypoint).
#[wasm_bindgen]
pub struct WorkflowHost;

#[wasm_bindgen]
impl WorkflowHost {
    /// Runs one attempt of the registered workflow `class_name` for a `WorkflowEntrypoint`'s
    /// `run(event, step)`: decodes `event.payload`, runs the body on [`CfStep`] and [`CfServices`],
    /// and returns its output. `non_retryable` is the `NonRetryableError` class of
    /// `cloudflare:workflows`. Rejects with an `Error` when no such class is registered, the payload
    /// is not JSON-like, or the body fails. Called by the generated JS entry only.
    pub async fn run(
        class_name: String,
        env: JsValue,
        event: JsValue,
        step: JsValue,
        non_retryable: js_sys::Function,
    ) -> Result<JsValue, JsValue> {
        let Some(def) = registry::workflow(&class_name) else {
            return Err(
                js_sys::Error::new(&format!("no workflow registered as {class_name}")).into(),
            );
        };
        let get = |key: &str| {
            js_sys::Reflect::get(&event, &JsValue::from_str(key)).unwrap_or(JsValue::NULL)
        };
        let payload =
            js::from_js(&get("payload")).map_err(|e| JsValue::from(js_sys::Error::new(&e)))?;
        let instance_id = get("instanceId").as_string().unwrap_or_default();
        let run = WorkflowRun {
            class_name: def.class_name,
            instance_id: instance_id.clone(),
            payload,
            step: Rc::new(CfStep::new(step, non_retryable)),
            services: Rc::new(CfServices::new(env)),
        };
        match (def.run)(run).await {
            Ok(output) => Ok(js::to_js(&output)),
            Err(e) => {
                crate::log::error(&format!(
                    "workflow {class_name} instance {instance_id} failed: {e}"
                ));
                Err(js_sys::Error::new(&e.0).into())
            }
        }
    }
}
