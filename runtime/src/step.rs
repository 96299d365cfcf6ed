//! The `Step` abstraction: what a workflow body may do durably. One implementation drives
//! Cloudflare's `WorkflowStep` (see `cloudflare::step`); tests use a native one.
//!
//! The engine memoises each step's result by its name, so names must be deterministic and
//! unique within a run (senders put the event id in theirs).

use crate::duration::Duration;
use crate::error::{EffectError, StepError};
use crate::retry::StepConfig;
use crate::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// The body of a `step.do`: called once per attempt, returning the step's JSON result.
pub type Effect = Box<dyn FnMut() -> BoxFuture<'static, Result<Value, EffectError>>>;

/// Durable operations of a workflow run. Object safe so one registry type serves every host.
#[async_trait::async_trait(?Send)]
pub trait Step {
    /// `step.do(name, config, effect)`: runs `effect` with retries until it succeeds, and
    /// returns its memoised result on replay.
    async fn run_json(
        &self,
        name: &str,
        config: &StepConfig,
        effect: Effect,
    ) -> Result<Value, StepError>;

    /// `step.sleep(name, duration)`.
    async fn sleep(&self, name: &str, duration: Duration) -> Result<(), StepError>;

    /// `step.waitForEvent(name, { type, timeout })`: the payload of the next event of that type.
    async fn wait_for_event(
        &self,
        name: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Result<Value, StepError>;
}

impl dyn Step + '_ {
    /// Typed `step.do`: the effect's output is serialised as the memoised step result.
    pub async fn run<T, F, Fut>(
        &self,
        name: &str,
        config: &StepConfig,
        mut effect: F,
    ) -> Result<T, StepError>
    where
        T: Serialize + DeserializeOwned + 'static,
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = Result<T, EffectError>> + 'static,
    {
        let boxed: Effect = Box::new(move || {
            let attempt = effect();
            Box::pin(async move {
                let value = attempt.await?;
                serde_json::to_value(value).map_err(|e| {
                    EffectError::non_retryable(format!("step output does not serialise: {e}"))
                })
            })
        });
        let value = self.run_json(name, config, boxed).await?;
        serde_json::from_value(value).map_err(|e| StepError::Codec(e.to_string()))
    }

    /// Typed `step.waitForEvent`.
    pub async fn wait_for<T: DeserializeOwned>(
        &self,
        name: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Result<T, StepError> {
        let value = self.wait_for_event(name, event_type, timeout).await?;
        serde_json::from_value(value).map_err(|e| StepError::Codec(e.to_string()))
    }
}
