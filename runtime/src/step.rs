//! The `Step` abstraction: what a workflow body may do durably. One implementation drives
//! Cloudflare's `WorkflowStep` (see `cloudflare::step`); tests use a native one.
//!
//! The engine memoises each step's result by its name, so names must be deterministic and
//! unique within a run (senders put the event id in theirs).

use crate::duration::Duration;
use crate::error::{EffectError, Retry, StepError};
use crate::retry::StepConfig;
use crate::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// The key of the value a step memoises when its attempt was refused with a server-requested
/// wait: `{"$rate_limited": {"wait_ms": .., "error": ..}}`.
pub const RATE_LIMITED: &str = "$rate_limited";

/// The longest advised wait honoured as is; a longer `Retry-After` is cut to this.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(15 * 60);

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
    ///
    /// A retryable failure that carries a server-requested wait (`retry_after`, from HTTP 429
    /// `Retry-After`) is honoured durably on every host: the attempt ends the step with a
    /// [`RATE_LIMITED`] marker, the run sleeps the advised time with `step.sleep`, and a
    /// follow-up step (`<name>#after-wait-<n>`) tries again, at most `retries.limit` times.
    /// Cloudflare's engine cannot do this itself: its retry delay is fixed per step.
    pub async fn run<T, F, Fut>(
        &self,
        name: &str,
        config: &StepConfig,
        effect: F,
    ) -> Result<T, StepError>
    where
        T: Serialize + DeserializeOwned + 'static,
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = Result<T, EffectError>> + 'static,
    {
        let effect = Rc::new(RefCell::new(effect));
        let mut round = 0;
        loop {
            let step_name = match round {
                0 => name.to_owned(),
                n => format!("{name}#after-wait-{n}"),
            };
            let value = self
                .run_json(&step_name, config, attempt_effect(effect.clone()))
                .await?;
            let Some(wait) = rate_limited(&value) else {
                return crate::json::from_value(&value)
                    .map_err(|e| StepError::Codec(e.to_string()));
            };
            round += 1;
            if round > config.retries.limit {
                return Err(StepError::Failed(EffectError::retryable(format!(
                    "{name}: still rate limited after {} waits",
                    config.retries.limit
                ))));
            }
            self.sleep(
                &format!("{name}#wait-{round}"),
                wait.min(MAX_RATE_LIMIT_WAIT),
            )
            .await?;
        }
    }

    /// Typed `step.waitForEvent`.
    pub async fn wait_for<T: DeserializeOwned>(
        &self,
        name: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Result<T, StepError> {
        let value = self.wait_for_event(name, event_type, timeout).await?;
        crate::json::from_value(&value).map_err(|e| StepError::Codec(e.to_string()))
    }
}

/// One round's `step.do` body: the effect, with a rate-limited failure turned into the marker
/// the round loop reads (so the engine memoises it instead of retrying on its own schedule).
fn attempt_effect<T, F, Fut>(effect: Rc<RefCell<F>>) -> Effect
where
    T: Serialize + 'static,
    F: FnMut() -> Fut + 'static,
    Fut: Future<Output = Result<T, EffectError>> + 'static,
{
    Box::new(move || {
        let attempt = (effect.borrow_mut())();
        Box::pin(async move {
            match attempt.await {
                Ok(value) => serde_json::to_value(value).map_err(|e| {
                    EffectError::non_retryable(format!("step output does not serialise: {e}"))
                }),
                Err(EffectError {
                    retry: Retry::Retryable,
                    retry_after: Some(wait),
                    message,
                }) => {
                    Ok(json!({ RATE_LIMITED: { "wait_ms": wait.as_millis(), "error": message } }))
                }
                Err(e) => Err(e),
            }
        })
    })
}

/// The advised wait, when `value` is the rate-limit marker.
fn rate_limited(value: &Value) -> Option<Duration> {
    let object = value.as_object().filter(|o| o.len() == 1)?;
    let wait_ms = object.get(RATE_LIMITED)?.get("wait_ms")?.as_u64()?;
    Some(Duration::from_millis(wait_ms))
}
