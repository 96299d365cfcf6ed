//! [`Step`] over Cloudflare's `WorkflowStep`.

use super::bindings::{construct_error, WorkflowStep};
use super::js;
use crate::duration::Duration;
use crate::error::{EffectError, StepError};
use crate::retry::StepConfig;
use crate::step::{Effect, Step};
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// Cloudflare's `WorkflowStep` as a [`Step`].
pub struct CfStep {
    step: WorkflowStep,
    /// The `NonRetryableError` class from `cloudflare:workflows`, handed in by the JS entry.
    non_retryable: js_sys::Function,
}

impl CfStep {
    /// Wraps `step`, the `WorkflowStep` passed to `run(event, step)`; `non_retryable` is the
    /// `NonRetryableError` class, thrown for non-retryable errors so the engine stops retrying.
    pub fn new(step: JsValue, non_retryable: js_sys::Function) -> Self {
        Self {
            step: step.unchecked_into(),
            non_retryable,
        }
    }
}

fn step_error(error: &JsValue) -> StepError {
    let message = js::error_message(error);
    if js::error_name(error) == "NonRetryableError" {
        StepError::Failed(EffectError::non_retryable(message))
    } else {
        StepError::Failed(EffectError::retryable(message))
    }
}

#[async_trait::async_trait(?Send)]
impl Step for CfStep {
    async fn run_json(
        &self,
        name: &str,
        config: &StepConfig,
        effect: Effect,
    ) -> Result<serde_json::Value, StepError> {
        let effect = Rc::new(RefCell::new(effect));
        let non_retryable = self.non_retryable.clone();
        // The engine calls this once per attempt; its promise settles the attempt.
        let callback = Closure::<dyn FnMut() -> js_sys::Promise>::new(move || {
            let attempt = (effect.borrow_mut())();
            let non_retryable = non_retryable.clone();
            future_to_promise(async move {
                match attempt.await {
                    Ok(value) => Ok(js::to_js(&value)),
                    Err(e) if e.is_retryable() => Err(js_sys::Error::new(&e.message).into()),
                    Err(e) => Err(construct_error(&non_retryable, &e.message)),
                }
            })
        });
        let config = js::to_js(&config.to_workflow_json());
        let promise = self
            .step
            .do_with_config(name, &config, callback.as_ref().unchecked_ref())
            .map_err(|e| step_error(&e))?;
        let outcome = JsFuture::from(promise).await;
        drop(callback); // only after the engine is done calling it
        let value = outcome.map_err(|e| step_error(&e))?;
        js::from_js(&value).map_err(StepError::Codec)
    }

    async fn sleep(&self, name: &str, duration: Duration) -> Result<(), StepError> {
        let promise = self
            .step
            .sleep(name, &duration.to_workflow_string())
            .map_err(|e| step_error(&e))?;
        JsFuture::from(promise)
            .await
            .map(drop)
            .map_err(|e| step_error(&e))
    }

    async fn wait_for_event(
        &self,
        name: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Result<serde_json::Value, StepError> {
        let options =
            js::to_js(&json!({ "type": event_type, "timeout": timeout.to_workflow_string() }));
        let promise = self
            .step
            .wait_for_event(name, &options)
            .map_err(|e| step_error(&e))?;
        match JsFuture::from(promise).await {
            Ok(event) => {
                let payload =
                    js_sys::Reflect::get(&event, &"payload".into()).unwrap_or(JsValue::NULL);
                js::from_js(&payload).map_err(StepError::Codec)
            }
            Err(e)
                if js::error_message(&e)
                    .to_ascii_lowercase()
                    .contains("timeout")
                    || js::error_message(&e)
                        .to_ascii_lowercase()
                        .contains("timed out") =>
            {
                Err(StepError::TimedOut)
            }
            Err(e) => Err(step_error(&e)),
        }
    }
}
