//! Errors of side effects and steps.

use crate::duration::Duration;
use std::fmt;

/// Whether the engine should try an effect again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Transient: retried per the step's policy.
    Retryable,
    /// Deterministic: retrying cannot help (maps to Cloudflare's `NonRetryableError`).
    NonRetryable,
}

/// The failure of one side effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectError {
    /// Whether another attempt may succeed.
    pub retry: Retry,
    /// What went wrong, as logs and lane reports show it; never put secrets in it.
    pub message: String,
    /// A server-requested wait (HTTP 429 `Retry-After`) before the next attempt.
    pub retry_after: Option<Duration>,
}

impl EffectError {
    /// A transient failure (a timeout, a 5xx, a dropped connection): retried per the policy.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retry: Retry::Retryable,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A failure retrying cannot fix (a 4xx, a payload that cannot decode): the delivery stops
    /// at once, and the lane holds.
    pub fn non_retryable(message: impl Into<String>) -> Self {
        Self {
            retry: Retry::NonRetryable,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Asks for at least `wait` before the next attempt (a server's `Retry-After`). Lanes and
    /// typed steps honour it with a durable sleep (at most
    /// [`MAX_RATE_LIMIT_WAIT`](crate::step::MAX_RATE_LIMIT_WAIT)); it matters only on a retryable
    /// error.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Whether the error is [`Retry::Retryable`].
    pub fn is_retryable(&self) -> bool {
        self.retry == Retry::Retryable
    }
}

impl fmt::Display for EffectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EffectError {}

/// The failure of a whole step, as the workflow sees it after the engine gave up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// Every attempt failed (or a non-retryable error stopped it); carries the last error.
    Failed(EffectError),
    /// `wait_for_event` reached its timeout.
    TimedOut,
    /// The step's output or input could not be (de)serialised.
    Codec(String),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Failed(e) => write!(f, "step failed: {e}"),
            StepError::TimedOut => f.write_str("timed out waiting for an event"),
            StepError::Codec(e) => write!(f, "step value could not be converted: {e}"),
        }
    }
}

impl std::error::Error for StepError {}

impl From<EffectError> for StepError {
    fn from(e: EffectError) -> Self {
        StepError::Failed(e)
    }
}
