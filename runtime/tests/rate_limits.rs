//! A server's `Retry-After` is honoured by a durable sleep between steps, the same on every
//! host (Cloudflare's engine only knows a fixed delay per step): `Step::run` ends the refused
//! attempt with a marker, sleeps the advised time, and tries again in a follow-up step.

use sluice::native::{NativeStep, StepRecord};
use sluice::retry::{Backoff, RetryPolicy, StepConfig};
use sluice::step::{Step, MAX_RATE_LIMIT_WAIT};
use sluice::{Duration, EffectError, StepError};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

fn config(limit: u32) -> StepConfig {
    StepConfig {
        retries: RetryPolicy {
            limit,
            delay: Duration::from_secs(5),
            backoff: Backoff::Constant,
            max_delay: None,
        },
        timeout: Duration::from_secs(30),
    }
}

fn limited(secs: u64) -> EffectError {
    EffectError::retryable("429 Too Many Requests").with_retry_after(Duration::from_secs(secs))
}

/// An effect answering from a script, then `Ok(calls)`; it counts its calls.
fn scripted(
    script: Vec<EffectError>,
) -> (
    Rc<RefCell<u32>>,
    impl FnMut() -> std::future::Ready<Result<u32, EffectError>> + 'static,
) {
    let calls = Rc::new(RefCell::new(0));
    let counter = calls.clone();
    let mut script = VecDeque::from(script);
    let effect = move || {
        *counter.borrow_mut() += 1;
        let calls = *counter.borrow();
        std::future::ready(script.pop_front().map_or(Ok(calls), Err))
    };
    (calls, effect)
}

fn run(
    step: &NativeStep,
    config: &StepConfig,
    script: Vec<EffectError>,
) -> (u32, Result<u32, StepError>) {
    let (calls, effect) = scripted(script);
    let step: &dyn Step = step;
    let result = pollster::block_on(step.run("post:1", config, effect));
    let calls = *calls.borrow();
    (calls, result)
}

#[test]
fn the_advised_waits_are_slept_durably_between_follow_up_steps() {
    let step = NativeStep::new();
    let (calls, result) = run(&step, &config(5), vec![limited(7), limited(3)]);
    assert_eq!(result, Ok(3));
    assert_eq!(calls, 3);
    let records: Vec<(String, u64)> = step
        .records()
        .into_iter()
        .map(|record| match record {
            StepRecord::Attempt {
                name, at, error, ..
            } => {
                assert_eq!(
                    error, None,
                    "a refused attempt ends its step with the marker"
                );
                (name, at)
            }
            StepRecord::Slept { name, duration } => (name, duration.as_millis()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let expected = [
        ("post:1", 0),
        ("post:1#wait-1", 7_000),
        ("post:1#after-wait-1", 7_000),
        ("post:1#wait-2", 3_000),
        ("post:1#after-wait-2", 10_000),
    ];
    assert_eq!(
        records,
        expected.map(|(name, ms)| (name.to_owned(), ms)).to_vec()
    );
}

#[test]
fn a_replayed_run_reads_every_round_back_without_calling_the_effect() {
    let step = NativeStep::new();
    assert_eq!(run(&step, &config(5), vec![limited(2)]), (2, Ok(2)));
    // The run replayed from the top: nothing is attempted or slept again.
    step.replay_from_top();
    let recorded_attempts = attempts_and_sleeps(&step);
    let (calls, result) = run(&step, &config(5), vec![limited(2)]);
    assert_eq!((calls, result), (0, Ok(2)));
    assert_eq!(attempts_and_sleeps(&step), recorded_attempts);
}

#[test]
fn waits_are_bounded_by_the_retry_limit_and_the_longest_honoured_wait() {
    let step = NativeStep::new();
    let (calls, result) = run(&step, &config(2), vec![limited(86_400); 5]);
    assert_eq!(calls, 3, "the first attempt and one per allowed wait");
    match result {
        Err(StepError::Failed(e)) => {
            assert!(e.is_retryable());
            assert!(
                e.message.contains("still rate limited after 2 waits"),
                "{}",
                e.message
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        step.now(),
        2 * MAX_RATE_LIMIT_WAIT.as_millis(),
        "a day's Retry-After is cut"
    );
}

#[test]
fn other_retryable_errors_keep_the_policys_delay_inside_one_step() {
    let step = NativeStep::new();
    let (calls, result) = run(&step, &config(3), vec![EffectError::retryable("503")]);
    assert_eq!((calls, result), (2, Ok(2)));
    let attempts: Vec<(String, u64)> = step
        .records()
        .into_iter()
        .filter_map(|record| match record {
            StepRecord::Attempt { name, at, .. } => Some((name, at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts,
        vec![("post:1".to_owned(), 0), ("post:1".to_owned(), 5_000)]
    );
}

fn attempts_and_sleeps(step: &NativeStep) -> usize {
    step.records()
        .iter()
        .filter(|r| matches!(r, StepRecord::Attempt { .. } | StepRecord::Slept { .. }))
        .count()
}
