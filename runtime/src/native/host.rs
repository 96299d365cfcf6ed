//! A native stand-in for the Workflows engine, for tests, with Cloudflare's replay semantics:
//! step results (and received events) are memoised by step name and call count, and after a
//! crash the run function is executed again from the top, replaying memoised steps. Retries
//! follow each step's policy on a virtual clock (no real sleeping); `wait_for_event` is fed
//! from a queue. Crashes can be injected after any effect, before its result is recorded; a
//! seed makes a random crash schedule reproducible. Everything it did is recorded.

use crate::duration::Duration;
use crate::error::StepError;
use crate::object::{ObjectCallError, ObjectNamespace};
use crate::registry::WorkflowDef;
use crate::retry::StepConfig;
use crate::sql::{Database, SqlError};
use crate::step::{Effect, Step};
use crate::workflow::{
    Services, WorkflowClient, WorkflowClientError, WorkflowClientErrorKind, WorkflowError,
    WorkflowRun,
};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// One thing the native engine did.
#[derive(Clone, Debug, PartialEq)]
pub enum StepRecord {
    /// An attempt of `step.do`, at virtual time `at` (ms), and its error if it failed.
    Attempt {
        name: String,
        attempt: u32,
        at: u64,
        error: Option<String>,
    },
    /// A step answered from the memo without running.
    Replayed {
        name: String,
    },
    Slept {
        name: String,
        duration: Duration,
    },
    Waited {
        name: String,
        event_type: String,
    },
    /// A crash was injected after effect number `effect` (1-based, counted across runs).
    Crashed {
        name: String,
        effect: u64,
    },
}

/// Where a rule-driven crash ([`NativeStep::crash_when`]) may strike within one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// At the step boundary before the effect: nothing of it happened.
    BeforeEffect,
    /// Inside the effect: it happened, its result was not recorded.
    AfterEffect,
    /// At the step boundary after the result was recorded.
    AfterRecord,
}

/// Decides a crash: `(point, step name, effect ordinal)` → crash now.
pub type CrashRule = Box<dyn FnMut(CrashPoint, &str, u64) -> bool>;

/// The panic payload of an injected crash: the isolate died mid-run.
#[derive(Debug)]
pub struct InjectedCrash;

/// Where [`NativeStep::advance`] stopped.
#[derive(Debug)]
pub enum Advanced {
    Finished(Result<Value, WorkflowError>),
    /// Suspended in `wait_for_event` until an event arrives.
    Waiting,
}

/// The panic payload of a run that waits for an event nobody sent yet: the engine puts the
/// instance to sleep and runs it again from the top when one arrives.
#[derive(Debug)]
pub struct Suspended;

#[derive(Default)]
pub struct NativeStep {
    clock: Cell<u64>,
    memo: RefCell<HashMap<String, Value>>,
    /// How often each name was used in the current run (the engine keys steps by name + count).
    counts: RefCell<HashMap<String, u32>>,
    events: RefCell<VecDeque<(String, Value)>>,
    records: RefCell<Vec<StepRecord>>,
    effects_run: Cell<u64>,
    crash_after: RefCell<Vec<u64>>,
    crash_after_steps: RefCell<Vec<String>>,
    crash_rule: RefCell<Option<CrashRule>>,
    /// A wait with no queued event suspends the run (an engine's instance) instead of timing
    /// out (a single run in a test).
    suspend_when_idle: Cell<bool>,
}

impl NativeStep {
    pub fn new() -> Self {
        Self::default()
    }

    /// A step whose waits suspend the run while no event is queued, as an engine's instance
    /// does (see [`NativeWorkflows`](super::NativeWorkflows)).
    pub fn suspending() -> Self {
        let step = Self::default();
        step.suspend_when_idle.set(true);
        step
    }

    /// Queues an event for `wait_for_event`.
    pub fn send_event(&self, event_type: &str, payload: Value) {
        self.events
            .borrow_mut()
            .push_back((event_type.to_owned(), payload));
    }

    pub fn records(&self) -> Vec<StepRecord> {
        self.records.borrow().clone()
    }

    /// Virtual milliseconds elapsed (retry delays and sleeps).
    pub fn now(&self) -> u64 {
        self.clock.get()
    }

    fn record(&self, record: StepRecord) {
        self.records.borrow_mut().push(record);
    }

    /// Crash right after the given effects (1-based ordinals over the engine's life, counting
    /// every attempt), before their results are recorded.
    pub fn crash_after_effects(&self, ordinals: &[u64]) {
        self.crash_after.borrow_mut().extend_from_slice(ordinals);
    }

    /// Crash once, right after the effect of the step named `name` completes the first time.
    pub fn crash_once_after_step(&self, name: &str) {
        self.crash_after_steps.borrow_mut().push(name.to_owned());
    }

    /// Crashes wherever `rule` says (a seeded campaign's schedule); replaces an earlier rule.
    /// The rule must eventually answer `false`, or the run never ends.
    pub fn crash_when(&self, rule: impl FnMut(CrashPoint, &str, u64) -> bool + 'static) {
        *self.crash_rule.borrow_mut() = Some(Box::new(rule));
    }

    fn ruled_crash(&self, point: CrashPoint, name: &str, ordinal: u64) {
        let crash = self
            .crash_rule
            .borrow_mut()
            .as_mut()
            .is_some_and(|rule| rule(point, name, ordinal));
        if crash {
            self.record(StepRecord::Crashed {
                name: name.to_owned(),
                effect: ordinal,
            });
            std::panic::panic_any(InjectedCrash);
        }
    }

    fn should_crash(&self, name: &str, ordinal: u64) -> bool {
        let mut steps = self.crash_after_steps.borrow_mut();
        if let Some(i) = steps.iter().position(|s| s == name) {
            steps.remove(i);
            return true;
        }
        self.crash_after.borrow().contains(&ordinal)
    }

    /// A reproducible random crash schedule: each of the first `horizon` effects crashes with
    /// probability `percent`/100, drawn from a xorshift generator seeded with `seed`.
    pub fn crash_randomly(&self, seed: u64, percent: u64, horizon: u64) {
        let mut state = seed.max(1);
        let mut ordinals = Vec::new();
        for ordinal in 1..=horizon {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state % 100 < percent {
                ordinals.push(ordinal);
            }
        }
        self.crash_after_effects(&ordinals);
    }

    /// Crashes injected so far.
    pub fn crashes(&self) -> usize {
        self.records
            .borrow()
            .iter()
            .filter(|r| matches!(r, StepRecord::Crashed { .. }))
            .count()
    }

    /// The engine's key for a step: its name plus how often the name was used in this run.
    fn key(&self, name: &str) -> String {
        let mut counts = self.counts.borrow_mut();
        let count = counts.entry(name.to_owned()).or_insert(0);
        *count += 1;
        format!("{name}#{count}")
    }

    fn replayed(&self, name: &str, key: &str) -> Option<Value> {
        let value = self.memo.borrow().get(key).cloned()?;
        self.record(StepRecord::Replayed {
            name: name.to_owned(),
        });
        Some(value)
    }

    /// Starts executing the run again from the top, as the engine does after a crash or a
    /// wake-up: the steps met from now on read their memoised results back by name and count.
    pub fn replay_from_top(&self) {
        self.counts.borrow_mut().clear();
    }

    /// Runs a workflow as the engine does: executes it, and after each injected crash executes
    /// it again from the top (memoised steps replay) until it returns.
    pub fn run_to_completion(
        &self,
        def: &WorkflowDef,
        run: WorkflowRun,
    ) -> Result<Value, WorkflowError> {
        match self.advance(def, run) {
            Advanced::Finished(result) => result,
            Advanced::Waiting => Err(WorkflowError(
                "the run waits for an event; use NativeStep::suspending with an engine".into(),
            )),
        }
    }

    /// Runs a workflow from the top (memoised steps replay) until it returns or, with a
    /// [`suspending`](Self::suspending) step, waits for an event not yet sent.
    pub fn advance(&self, def: &WorkflowDef, run: WorkflowRun) -> Advanced {
        silence_injected_crashes();
        loop {
            self.replay_from_top();
            let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                futures_util::FutureExt::now_or_never((def.run)(run.clone()))
                    .expect("native runs never wait on real I/O: every port is in-process")
            }));
            match attempt {
                Ok(result) => return Advanced::Finished(result),
                Err(payload) if payload.is::<InjectedCrash>() => continue,
                Err(payload) if payload.is::<Suspended>() => return Advanced::Waiting,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
    }
}

/// Keeps the default panic report for real panics only.
pub(super) fn silence_injected_crashes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<InjectedCrash>() && !info.payload().is::<Suspended>() {
                default(info);
            }
        }));
    });
}

#[async_trait::async_trait(?Send)]
impl Step for NativeStep {
    async fn run_json(
        &self,
        name: &str,
        config: &StepConfig,
        mut effect: Effect,
    ) -> Result<Value, StepError> {
        let key = self.key(name);
        if let Some(value) = self.replayed(name, &key) {
            return Ok(value);
        }
        let mut attempt = 1;
        loop {
            self.ruled_crash(CrashPoint::BeforeEffect, name, self.effects_run.get() + 1);
            let outcome = effect().await;
            let ordinal = self.effects_run.get() + 1;
            self.effects_run.set(ordinal);
            self.ruled_crash(CrashPoint::AfterEffect, name, ordinal);
            if self.should_crash(name, ordinal) {
                self.record(StepRecord::Crashed {
                    name: name.to_owned(),
                    effect: ordinal,
                });
                std::panic::panic_any(InjectedCrash);
            }
            self.record(StepRecord::Attempt {
                name: name.to_owned(),
                attempt,
                at: self.clock.get(),
                error: outcome.as_ref().err().map(|e| e.message.clone()),
            });
            match outcome {
                Ok(value) => {
                    self.memo.borrow_mut().insert(key, value.clone());
                    self.ruled_crash(CrashPoint::AfterRecord, name, ordinal);
                    return Ok(value);
                }
                Err(e) if !e.is_retryable() || attempt > config.retries.limit => {
                    return Err(StepError::Failed(e));
                }
                // Like Cloudflare's engine, the policy's delay only: a server's `retry_after`
                // is honoured a level up, by `Step::run`'s durable sleep.
                Err(_) => {
                    let wait = config.retries.delay_before_retry(attempt);
                    self.clock.set(self.clock.get() + wait.as_millis());
                    attempt += 1;
                }
            }
        }
    }

    async fn sleep(&self, name: &str, duration: Duration) -> Result<(), StepError> {
        let key = self.key(name);
        if self.replayed(name, &key).is_some() {
            return Ok(());
        }
        self.clock.set(self.clock.get() + duration.as_millis());
        self.record(StepRecord::Slept {
            name: name.to_owned(),
            duration,
        });
        self.memo.borrow_mut().insert(key, Value::Null);
        Ok(())
    }

    async fn wait_for_event(
        &self,
        name: &str,
        event_type: &str,
        _timeout: Duration,
    ) -> Result<Value, StepError> {
        let key = self.key(name);
        if let Some(value) = self.replayed(name, &key) {
            return Ok(value);
        }
        let position = self
            .events
            .borrow()
            .iter()
            .position(|(t, _)| t == event_type);
        if position.is_none() && self.suspend_when_idle.get() {
            std::panic::panic_any(Suspended);
        }
        self.record(StepRecord::Waited {
            name: name.to_owned(),
            event_type: event_type.to_owned(),
        });
        let payload = {
            let mut events = self.events.borrow_mut();
            let position = position.ok_or(StepError::TimedOut)?;
            events
                .remove(position)
                .map(|(_, payload)| payload)
                .unwrap_or(Value::Null)
        };
        self.memo.borrow_mut().insert(key, payload.clone());
        Ok(payload)
    }
}

/// Services by name, for tests.
#[derive(Clone, Default)]
pub struct NativeServices {
    pub databases: HashMap<String, Rc<dyn Database>>,
    pub workflows: HashMap<String, Rc<dyn WorkflowClient>>,
    pub vars: HashMap<String, String>,
    pub objects: HashMap<String, Rc<dyn ObjectNamespace>>,
    /// The longest any outbound call may wait for its answer (`None`: each request's own
    /// timeout): a campaign injects timeouts without waiting out 5 s client timeouts.
    pub http_timeout_cap: Option<Duration>,
}

impl Services for NativeServices {
    fn database(&self, binding: &str) -> Result<Rc<dyn Database>, SqlError> {
        self.databases
            .get(binding)
            .cloned()
            .ok_or_else(|| SqlError::new(format!("no database {binding}")))
    }

    fn http(&self) -> Rc<dyn crate::http::HttpClient> {
        match self.http_timeout_cap {
            Some(cap) => Rc::new(CappedHttp(cap)),
            None => Rc::new(super::NativeHttp),
        }
    }

    fn workflow(&self, binding: &str) -> Result<Rc<dyn WorkflowClient>, WorkflowClientError> {
        self.workflows.get(binding).cloned().ok_or_else(|| {
            WorkflowClientError::of(
                WorkflowClientErrorKind::NotFound,
                format!("no workflow {binding}"),
            )
        })
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn objects(&self, binding: &str) -> Result<Rc<dyn ObjectNamespace>, ObjectCallError> {
        self.objects
            .get(binding)
            .cloned()
            .ok_or_else(|| ObjectCallError::not_found(format!("no object namespace {binding}")))
    }
}

/// [`NativeHttp`](super::NativeHttp) with every request's timeout cut to at most `.0`.
struct CappedHttp(Duration);

#[async_trait::async_trait(?Send)]
impl crate::http::HttpClient for CappedHttp {
    async fn send(
        &self,
        mut request: crate::http::HttpRequest,
    ) -> Result<crate::http::HttpResponse, crate::http::HttpError> {
        if request.timeout.as_millis() > self.0.as_millis() {
            request.timeout = self.0;
        }
        super::NativeHttp.send(request).await
    }
}
