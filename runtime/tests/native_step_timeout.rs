//! The native host enforces each attempt's step timeout as Cloudflare's engine does: an
//! effect that answers after the timeout fails that attempt (its answer discarded), and the
//! attempt is retried per the policy. The durations are scaled down from "a 6 s answer under a
//! 5 s timeout" to milliseconds.

use serde_json::{json, Value};
use sluice::native::{NativeStep, StepRecord};
use sluice::step::{Effect, Step};
use sluice::{Backoff, Duration, EffectError, RetryPolicy, StepConfig, StepError};
use std::cell::Cell;
use std::rc::Rc;

const TIMEOUT_MS: u64 = 50;
/// 6/5 of the timeout, as a 6 s answer is of a 5 s timeout.
const LATE_MS: u64 = 60;

fn config(limit: u32) -> StepConfig {
    StepConfig {
        retries: RetryPolicy {
            limit,
            delay: Duration::from_millis(10),
            backoff: Backoff::Constant,
            max_delay: None,
        },
        timeout: Duration::from_millis(TIMEOUT_MS),
    }
}

/// An effect whose n-th attempt answers `n` after `delays[n]` ms (the last delay repeats).
fn answering_after(delays: &'static [u64]) -> (Effect, Rc<Cell<usize>>) {
    let attempts = Rc::new(Cell::new(0));
    let counted = attempts.clone();
    let effect: Effect = Box::new(move || {
        let n = counted.get();
        counted.set(n + 1);
        let delay = delays[n.min(delays.len() - 1)];
        Box::pin(async move {
            std::thread::sleep(std::time::Duration::from_millis(delay));
            Ok::<Value, EffectError>(json!(n))
        })
    });
    (effect, attempts)
}

fn attempt_errors(step: &NativeStep) -> Vec<Option<String>> {
    step.records()
        .into_iter()
        .filter_map(|r| match r {
            StepRecord::Attempt { error, .. } => Some(error),
            _ => None,
        })
        .collect()
}

#[test]
fn a_late_answer_fails_its_attempt_and_the_retry_answers() {
    let step = NativeStep::new();
    let (effect, attempts) = answering_after(&[LATE_MS, 0]);
    let result = pollster::block_on(step.run_json("slow", &config(3), effect));
    assert_eq!(
        result,
        Ok(json!(1)),
        "the second attempt's answer, not the late first one"
    );
    assert_eq!(attempts.get(), 2);
    let errors = attempt_errors(&step);
    assert_eq!(errors.len(), 2, "{errors:?}");
    let first = errors[0].as_deref().expect("the late attempt failed");
    assert!(first.contains("timed out"), "{first}");
    assert!(first.contains("timeout is 50 milliseconds"), "{first}");
    assert_eq!(errors[1], None);
}

#[test]
fn a_step_whose_every_attempt_answers_late_fails_after_its_retries() {
    let step = NativeStep::new();
    let (effect, attempts) = answering_after(&[LATE_MS]);
    let result = pollster::block_on(step.run_json("slow", &config(1), effect));
    match result {
        Err(StepError::Failed(error)) => {
            assert!(error.is_retryable(), "a timeout is retryable: {error:?}");
            assert!(error.message.contains("timed out"), "{}", error.message);
        }
        other => panic!("expected the step to fail, got {other:?}"),
    }
    assert_eq!(attempts.get(), 2, "the first attempt and one retry");
}

#[test]
fn an_answer_within_the_timeout_succeeds_at_once() {
    let step = NativeStep::new();
    let (effect, attempts) = answering_after(&[0]);
    let result = pollster::block_on(step.run_json("fast", &config(3), effect));
    assert_eq!(result, Ok(json!(0)));
    assert_eq!(attempts.get(), 1);
    assert_eq!(attempt_errors(&step), vec![None]);
}
