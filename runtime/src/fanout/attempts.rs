//! One delivery of one event to one effect, retried on the effect's own schedule by the
//! framework rather than by the engine: each attempt is its own `step.do` (retries 0), and
//! between two attempts the lane sleeps durably (`step.sleep`), so a lane in backoff costs no
//! CPU and every other lane goes on. This gives what Cloudflare's fixed per-step retry
//! config cannot: a cap on the grown delay (`max_delay`), jitter, a server's `Retry-After`
//! honoured, and the attempt number known to the code (for the lane's visible state).
//!
//! Step names: `<base>` for the first attempt, `<base>#attempt-<n>` after, and
//! `<base>#backoff-<n>` for the sleep before attempt `n + 1`. A failed attempt ends its step
//! with an [`ATTEMPT_FAILED`] marker instead of an error, so the engine memoises it like a
//! result and a replay makes the same decisions without running it again.

use super::ledger::{Event, LaneLedger, LaneReport, ReportKind};
use super::{sender_call, Target};
use crate::duration::Duration;
use crate::error::{EffectError, Retry, StepError};
use crate::retry::{Backoff, RetryPolicy, StepConfig};
use crate::step::MAX_RATE_LIMIT_WAIT;
use crate::workflow::WorkflowRun;
use serde_json::{json, Value};

/// The key of the value a failed attempt memoises:
/// `{"$attempt_failed": {"error", "retryable", "retry_after_ms"}}`.
pub const ATTEMPT_FAILED: &str = "$attempt_failed";

/// Each backoff delay is drawn between this share of the scheduled one and all of it, so
/// lanes that failed together do not all come back at once.
const JITTER_FLOOR_PERCENT: u64 = 80;

/// An effect that ran out of attempts (or was refused for good).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step of the last attempt.
    pub step: String,
    /// The last attempt's error message.
    pub error: String,
}

/// What one attempt's step memoised.
enum Attempted {
    Done,
    Failed {
        error: String,
        retryable: bool,
        retry_after: Option<Duration>,
    },
}

fn attempted(value: &Value) -> Attempted {
    match value.get(ATTEMPT_FAILED) {
        None => Attempted::Done,
        Some(failed) => Attempted::Failed {
            error: failed["error"].as_str().unwrap_or_default().to_owned(),
            retryable: failed["retryable"].as_bool().unwrap_or(true),
            retry_after: failed["retry_after_ms"].as_u64().map(Duration::from_millis),
        },
    }
}

fn marker(error: EffectError) -> Value {
    json!({ ATTEMPT_FAILED: {
        "error": error.message,
        "retryable": error.retry == Retry::Retryable,
        "retry_after_ms": error.retry_after.map(sluice_policy::Duration::as_millis),
    }})
}

/// The engine config of one attempt: the policy's timeout, no engine retries (the loop below
/// schedules them).
fn attempt_config(policy: &StepConfig) -> StepConfig {
    StepConfig {
        retries: RetryPolicy {
            limit: 0,
            delay: Duration::from_secs(1),
            backoff: Backoff::Constant,
            max_delay: None,
        },
        timeout: policy.timeout,
    }
}

/// FNV-1a: a stable hash for jitter that replays identically on every platform.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The wait before attempt `attempt + 1`: the server's advice when it gave one (capped at
/// [`MAX_RATE_LIMIT_WAIT`]), else the policy's capped backoff with jitter.
pub fn backoff(
    policy: &RetryPolicy,
    step: &str,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    if let Some(advised) = retry_after {
        return advised.min(MAX_RATE_LIMIT_WAIT);
    }
    let scheduled = policy.delay_before_retry(attempt).as_millis();
    let spread = 100 - JITTER_FLOOR_PERCENT;
    let percent = JITTER_FLOOR_PERCENT + stable_hash(&format!("{step}#{attempt}")) % (spread + 1);
    Duration::from_millis(scheduled / 100 * percent + scheduled % 100 * percent / 100)
}

/// Runs `target`'s handler for `event` as step `base`, attempt after attempt, until it
/// succeeds, is refused for good, or runs out of attempts. Each failed attempt that is
/// followed by another is reported to the ledger before the sleep.
pub(super) async fn deliver(
    run: &WorkflowRun,
    ledger: &dyn LaneLedger,
    target: &Target,
    event: &Event,
    base: &str,
    round: i64,
    stream_id: &str,
) -> Result<(), Failure> {
    let call = sender_call(run, stream_id, event);
    let policy = target.handler.effective_config(target.effect);
    let attempts = policy.retries.limit.saturating_add(1);
    let engine_config = attempt_config(&policy);
    let handler = target.handler.run;
    let mut attempt = 1;
    loop {
        let step = match attempt {
            1 => base.to_owned(),
            n => format!("{base}#attempt-{n}"),
        };
        let call = call.clone();
        let outcome = run
            .step
            .run_json(
                &step,
                &engine_config,
                Box::new(move || {
                    let attempt = handler(call.clone());
                    Box::pin(async move {
                        Ok(match attempt.await {
                            Ok(()) => Value::Null,
                            Err(error) => marker(error),
                        })
                    })
                }),
            )
            .await;
        let (error, retryable, retry_after) = match outcome.as_ref().map(attempted) {
            Ok(Attempted::Done) => {
                if attempt > 1 {
                    let report = LaneReport::new(target, base, round, ReportKind::Recovered);
                    ledger.report(run, &report).await;
                }
                return Ok(());
            }
            Ok(Attempted::Failed {
                error,
                retryable,
                retry_after,
            }) => (error, retryable, retry_after),
            // The engine's own failure of the attempt (its timeout, say): worth another try.
            Err(StepError::Failed(e)) => (e.message.clone(), e.is_retryable(), e.retry_after),
            Err(e) => (e.to_string(), false, None),
        };
        crate::log::error(&format!(
            "effect attempt failed: {} event={} type={} effect={} step={step} attempt={attempt}/{attempts} error={error}",
            event.subject, event.event_id, event.event_type, target.effect.name
        ));
        if !retryable || attempt >= attempts {
            return Err(Failure { step, error });
        }
        let wait = backoff(&policy.retries, base, attempt, retry_after);
        let report = LaneReport::new(
            target,
            base,
            round,
            ReportKind::Retrying {
                attempt,
                attempts,
                error,
                next_in: wait,
            },
        );
        ledger.report(run, &report).await;
        if let Err(e) = run
            .step
            .sleep(&format!("{base}#backoff-{attempt}"), wait)
            .await
        {
            return Err(Failure {
                step,
                error: format!("the backoff sleep failed: {e}"),
            });
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            limit: 10,
            delay: Duration::from_secs(2),
            backoff: Backoff::Exponential,
            max_delay: Some(Duration::from_secs(60)),
        }
    }

    #[test]
    fn backoff_is_capped_and_jittered_within_a_fifth_below() {
        for attempt in 1..=10 {
            let scheduled = policy().delay_before_retry(attempt).as_millis();
            let wait = backoff(&policy(), "email.x:3", attempt, None).as_millis();
            assert!(wait <= scheduled, "attempt {attempt}: {wait} > {scheduled}");
            assert!(wait * 100 >= scheduled * JITTER_FLOOR_PERCENT);
            assert!(wait <= 60_000);
        }
    }

    #[test]
    fn backoff_is_the_same_on_every_replay_and_differs_between_steps() {
        let a = backoff(&policy(), "email.x:3", 4, None);
        assert_eq!(a, backoff(&policy(), "email.x:3", 4, None));
        let spread: std::collections::BTreeSet<u64> = (0..50)
            .map(|n| backoff(&policy(), &format!("email.x:{n}"), 4, None).as_millis())
            .collect();
        assert!(spread.len() > 10, "jitter spreads lanes apart: {spread:?}");
    }

    #[test]
    fn a_server_advised_wait_is_kept_but_capped() {
        let advised = Duration::from_secs(7);
        assert_eq!(backoff(&policy(), "s", 1, Some(advised)), advised);
        let long = Duration::from_secs(3_600);
        assert_eq!(backoff(&policy(), "s", 1, Some(long)), MAX_RATE_LIMIT_WAIT);
    }

    #[test]
    fn markers_round_trip() {
        let error = EffectError::retryable("HTTP 429").with_retry_after(Duration::from_secs(3));
        match attempted(&marker(error)) {
            Attempted::Failed {
                error,
                retryable,
                retry_after,
            } => {
                assert_eq!(error, "HTTP 429");
                assert!(retryable);
                assert_eq!(retry_after, Some(Duration::from_secs(3)));
            }
            Attempted::Done => panic!("a marker is a failure"),
        }
        assert!(matches!(attempted(&Value::Null), Attempted::Done));
    }
}
