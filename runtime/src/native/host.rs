//! A native stand-in for the Workflows engine, for tests, with Cloudflare's replay semantics:
//! step results (and received events) are memoised by step name and call count, and after a
//! crash the run function is executed again from the top, replaying memoised steps. Retries
//! follow each step's policy on a virtual clock (no real sleeping); `wait_for_event` is fed
//! from a queue. Crashes can be injected after any effect, before its result is recorded; a
//! seed makes a random crash schedule reproducible. Everything it did is recorded.
//!
//! Like Cloudflare's engine, each attempt of a step has its step's timeout: an attempt whose
//! effect answers after it (measured on the wall clock, since effects do real I/O) fails, and
//! is retried per the policy; its late answer is discarded. A wait for an event in a workflow
//! that does not declare `waits_for_events = true` fails, so the manifest's wait loops are
//! true.
//!
//! A run may do several things at once (the lanes of a fan-out): it is polled as a future,
//! and while every branch waits, the engine lets virtual time pass to the earliest sleep's end
//! (a private clock), or reports that deadline to whoever owns a shared clock
//! ([`Advanced::Sleeping`]); with no sleep left, a wait for an event suspends the run as the
//! platform suspends an instance (it is run again from the top when an event arrives).

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
use std::sync::Arc;

/// One thing the native engine did.
#[derive(Clone, Debug, PartialEq)]
pub enum StepRecord {
    /// An attempt of `step.do`, at virtual time `at` (ms), and its error if it failed.
    Attempt {
        /// The step's name as the workflow gave it (`<step>:<idempotency key>`).
        name: String,
        /// 1 for the first attempt, counting up through the retries.
        attempt: u32,
        /// The virtual time of the attempt, in milliseconds.
        at: u64,
        /// The attempt's error; `None` if it succeeded.
        error: Option<String>,
    },
    /// A step answered from the memo without running.
    Replayed {
        /// The step's name.
        name: String,
    },
    /// A durable sleep (`step.sleep`) of `duration` virtual time.
    Slept {
        /// The sleep's name.
        name: String,
        /// How long it slept.
        duration: Duration,
    },
    /// A `wait_for_event` that ended, with an event or its timeout.
    Waited {
        /// The wait's name.
        name: String,
        /// The event type it waited for.
        event_type: String,
    },
    /// A crash was injected after effect number `effect` (1-based, counted across runs).
    Crashed {
        /// The step the crash struck in.
        name: String,
        /// The effect's ordinal.
        effect: u64,
    },
}

/// Where a rule-driven crash ([`NativeStep::crash_when`]) may strike within one attempt.
///
/// # Examples
///
/// ```
/// use serde_json::{json, Value};
/// use sluice::native::{CrashPoint, InjectedCrash, NativeStep};
/// use sluice::step::{Effect, Step};
/// use sluice::{EffectError, StepConfig};
/// use std::panic::{catch_unwind, AssertUnwindSafe};
///
/// let step = NativeStep::new();
/// // Strike once, inside the refund's effect: the refund went out, its result was not recorded.
/// let mut struck = false;
/// step.crash_when(move |point, name, _effect| {
///     let strike = !struck && point == CrashPoint::AfterEffect && name == "refund:A-1001";
///     struck |= strike;
///     strike
/// });
/// let refund = || -> Effect {
///     Box::new(|| Box::pin(async { Ok::<Value, EffectError>(json!({ "refunded_cents": 4200 })) }))
/// };
/// let config = StepConfig::WORKFLOWS_DEFAULT;
///
/// let crashed = catch_unwind(AssertUnwindSafe(|| {
///     pollster::block_on(step.run_json("refund:A-1001", &config, refund()))
/// }));
/// assert!(crashed.unwrap_err().is::<InjectedCrash>());
///
/// // As the engine does after a crash: the run starts again from the top, the effect runs
/// // again, and this time its result is recorded.
/// step.replay_from_top();
/// let refunded = pollster::block_on(step.run_json("refund:A-1001", &config, refund()));
/// assert_eq!(refunded, Ok(json!({ "refunded_cents": 4200 })));
/// assert_eq!(step.crashes(), 1);
/// ```
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
    /// The run returned (its output, or the workflow's own error).
    Finished(Result<Value, WorkflowError>),
    /// Suspended in `wait_for_event` until an event arrives.
    Waiting,
    /// Every branch waits, and a sleep ends at this virtual time (on a shared clock, which the
    /// caller moves): advance the run again then, or when an event arrives.
    Sleeping {
        /// The virtual time (ms) the earliest pending sleep ends at.
        until: i64,
    },
}

/// A virtual clock in milliseconds, shareable with the objects of a test pipeline.
pub type VirtualClock = Rc<Cell<i64>>;

/// The native Workflows engine: runs a registered workflow in-process, as Cloudflare's engine
/// would, for tests. It implements [`Step`], so a [`WorkflowRun`] takes it as its `step`.
///
/// Crashes are injected where the platform can crash (see [`CrashPoint`]):
/// [`crash_after_effects`](Self::crash_after_effects) and
/// [`crash_once_after_step`](Self::crash_once_after_step) strike after an effect ran and before
/// its result was recorded, [`crash_randomly`](Self::crash_randomly) does so on a seeded
/// schedule, [`crash_when`](Self::crash_when) anywhere a rule says. An injected crash unwinds
/// with an [`InjectedCrash`] panic, which [`run_to_completion`](Self::run_to_completion) and
/// [`advance`](Self::advance) catch to run the workflow again from the top; calling the
/// [`Step`] methods directly does not catch it.
///
/// # Examples
///
/// A charge sent, then a crash before its result was recorded: the replay sends it again,
/// with the same idempotency key, which is what lets the payment service charge once.
///
/// ```
/// use serde_json::{json, Value};
/// use sluice::native::{NativeServices, NativeStep, RecordingServer};
/// use sluice::prelude::*;
/// use std::rc::Rc;
///
/// #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// pub struct Charge { pub order_id: String, pub cents: u64 }
///
/// #[step(name = "payment.charge", idempotency_key = "{order_id}")]
/// pub async fn charge(ctx: StepContext, charge: Charge) -> Result<(), EffectError> {
///     let url = ctx.services.var("PAYMENTS_URL").unwrap_or_default();
///     let request = HttpRequest::post_json(&url, &json!({ "cents": charge.cents }))
///         .header("idempotency-key", &ctx.idempotency_key);
///     ctx.services.http().send(request).await?.error_for_status("payments")?;
///     Ok(())
/// }
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// pub struct Checkout { pub order_id: String, pub cents: u64 }
///
/// #[workflow(class = "CheckoutWorkflow", binding = "CHECKOUT_WORKFLOW", name = "checkout", steps = [charge])]
/// pub async fn checkout(run: WorkflowRun, order: Checkout) -> Result<Value, WorkflowError> {
///     CHARGE.call(&run, Charge { order_id: order.order_id, cents: order.cents }).await?;
///     Ok(json!({ "charged": true }))
/// }
///
/// let payments = RecordingServer::start(Vec::new());
/// let mut services = NativeServices::default();
/// services.vars.insert("PAYMENTS_URL".into(), payments.url.clone());
///
/// let step = Rc::new(NativeStep::new());
/// step.crash_once_after_step("payment.charge:A-1001");
/// let def = sluice::registry::workflow("CheckoutWorkflow").expect("registered");
/// let run = WorkflowRun {
///     class_name: def.class_name,
///     instance_id: "checkout-A-1001".into(),
///     payload: json!({ "order_id": "A-1001", "cents": 4200 }),
///     step: step.clone(),
///     services: Rc::new(services),
/// };
/// assert_eq!(step.run_to_completion(def, run)?, json!({ "charged": true }));
///
/// assert_eq!(step.crashes(), 1);
/// let sent = payments.requests();
/// assert_eq!(sent.len(), 2, "sent, crashed, sent again on replay");
/// assert_eq!(sent[0].header("idempotency-key"), Some("A-1001"));
/// assert_eq!(sent[1].header("idempotency-key"), Some("A-1001"));
/// # Ok::<(), WorkflowError>(())
/// ```
#[derive(Default)]
pub struct NativeStep {
    clock: VirtualClock,
    /// The clock is a pipeline's: the engine reports sleeps instead of moving it.
    shared_clock: bool,
    memo: RefCell<HashMap<String, Value>>,
    /// When each started sleep ends, by engine key: kept across replays, as the platform
    /// keeps a sleeping instance's wake-up time.
    sleep_ends: RefCell<HashMap<String, i64>>,
    /// Ends of the sleeps the current poll found unfinished.
    pending_sleeps: RefCell<Vec<i64>>,
    /// A wait with no event times out (a single run in a test, once nothing else can move).
    waits_time_out: Cell<bool>,
    /// [`advance`](Self::advance) is polling the run: sleeps and waits may pend while other
    /// branches move. A run awaited directly (`block_on`) has no one to move time for it:
    /// its sleeps pass at once and its waits without an event time out at once.
    driven: Cell<bool>,
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
    /// The workflow being advanced and whether it declares that it waits for events.
    running: Cell<Option<(&'static str, bool)>>,
}

impl NativeStep {
    /// An engine on its own private virtual clock, whose waits without a queued event time out.
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

    /// [`suspending`](Self::suspending), on `clock`: sleeps end when its owner moves it past
    /// their end (see [`Advanced::Sleeping`]).
    pub fn suspending_on(clock: VirtualClock) -> Self {
        Self {
            clock,
            shared_clock: true,
            ..Self::suspending()
        }
    }

    /// Queues an event for `wait_for_event`.
    pub fn send_event(&self, event_type: &str, payload: Value) {
        self.events
            .borrow_mut()
            .push_back((event_type.to_owned(), payload));
    }

    /// Everything the engine did so far, across runs and replays, in order.
    pub fn records(&self) -> Vec<StepRecord> {
        self.records.borrow().clone()
    }

    /// Virtual milliseconds elapsed (retry delays and sleeps).
    pub fn now(&self) -> u64 {
        self.clock.get().max(0) as u64
    }

    fn pass_time(&self, millis: u64) {
        self.clock.set(
            self.clock
                .get()
                .saturating_add(millis.min(i64::MAX as u64) as i64),
        );
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

    /// Virtual times of the attempts of one lane delivery, `base` being its first step's name
    /// (later attempts are `<base>#attempt-<n>`, see `fanout`).
    pub fn delivery_attempts(&self, base: &str) -> Vec<u64> {
        let later = format!("{base}#attempt-");
        self.records
            .borrow()
            .iter()
            .filter_map(|r| match r {
                StepRecord::Attempt { name, at, .. }
                    if name == base
                        || name
                            .strip_prefix(&later)
                            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())) =>
                {
                    Some(*at)
                }
                _ => None,
            })
            .collect()
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
            Advanced::Waiting | Advanced::Sleeping { .. } => Err(WorkflowError(
                "the run waits for an event or a shared clock; drive it with an engine".into(),
            )),
        }
    }

    /// Runs a workflow from the top (memoised steps replay) until it returns or, with a
    /// [`suspending`](Self::suspending) step, waits for an event not yet sent (or, on a shared
    /// clock, for a sleep to end).
    pub fn advance(&self, def: &WorkflowDef, run: WorkflowRun) -> Advanced {
        silence_injected_crashes();
        self.driven.set(true);
        self.running
            .set(Some((def.class_name, def.waits_for_events)));
        let advanced = self.drive(def, run);
        self.driven.set(false);
        self.running.set(None);
        advanced
    }

    fn drive(&self, def: &WorkflowDef, run: WorkflowRun) -> Advanced {
        'replay: loop {
            self.replay_from_top();
            let mut run_future = (def.run)(run.clone());
            let woken = Arc::new(Woken::default());
            let waker = futures_util::task::waker(woken.clone());
            let mut context = std::task::Context::from_waker(&waker);
            loop {
                let records = self.records.borrow().len();
                self.pending_sleeps.borrow_mut().clear();
                let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_future.as_mut().poll(&mut context)
                }));
                let pending = match polled {
                    Ok(std::task::Poll::Ready(result)) => return Advanced::Finished(result),
                    Ok(std::task::Poll::Pending) => true,
                    Err(payload) if payload.is::<InjectedCrash>() => false,
                    Err(payload) => std::panic::resume_unwind(payload),
                };
                if !pending {
                    continue 'replay;
                }
                // A branch moved, or woke another (a lane given an event): poll again.
                if woken.take() || self.records.borrow().len() != records {
                    continue;
                }
                // Every branch waits.
                let next_sleep_end = self.pending_sleeps.borrow().iter().min().copied();
                match next_sleep_end {
                    Some(until) if self.shared_clock => return Advanced::Sleeping { until },
                    Some(until) => {
                        if until > self.clock.get() {
                            self.clock.set(until);
                        }
                    }
                    None if self.suspend_when_idle.get() => return Advanced::Waiting,
                    None if self.waits_time_out.get() => {
                        return Advanced::Finished(Err(WorkflowError(
                            "the run waits on something that never comes".into(),
                        )))
                    }
                    None => self.waits_time_out.set(true),
                }
            }
        }
    }
}

/// An attempt's outcome, failed (retryably) if its effect answered after `timeout`: the
/// platform abandons the attempt at its timeout, so a late answer never counts.
fn within_timeout(
    outcome: Result<Value, crate::EffectError>,
    elapsed: std::time::Duration,
    timeout: Duration,
) -> Result<Value, crate::EffectError> {
    let limit = std::time::Duration::from_millis(timeout.as_millis());
    if elapsed <= limit {
        return outcome;
    }
    Err(crate::EffectError::retryable(format!(
        "the attempt timed out: it answered after {} ms, its step's timeout is {timeout}",
        elapsed.as_millis()
    )))
}

/// Records that some branch of a run was woken since the last poll.
#[derive(Default)]
struct Woken(std::sync::atomic::AtomicBool);

impl Woken {
    fn take(&self) -> bool {
        self.0.swap(false, std::sync::atomic::Ordering::SeqCst)
    }
}

impl futures_util::task::ArcWake for Woken {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Keeps the default panic report for real panics only.
pub(super) fn silence_injected_crashes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<InjectedCrash>() {
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
            let started = std::time::Instant::now();
            let outcome = within_timeout(effect().await, started.elapsed(), config.timeout);
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
                at: self.now(),
                // A lane's failed attempt ends its step with a marker, not an error: it failed
                // all the same.
                error: match &outcome {
                    Err(e) => Some(e.message.clone()),
                    Ok(value) => value
                        .get(crate::fanout::ATTEMPT_FAILED)
                        .map(|failed| failed["error"].as_str().unwrap_or_default().to_owned()),
                },
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
                    self.pass_time(config.retries.delay_before_retry(attempt).as_millis());
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
        let millis = duration.as_millis().min(i64::MAX as u64) as i64;
        let end = *self
            .sleep_ends
            .borrow_mut()
            .entry(key.clone())
            .or_insert_with(|| self.clock.get().saturating_add(millis));
        std::future::poll_fn(|_| {
            if !self.driven.get() && self.clock.get() < end {
                self.clock.set(end);
            }
            if self.clock.get() >= end {
                std::task::Poll::Ready(())
            } else {
                self.pending_sleeps.borrow_mut().push(end);
                std::task::Poll::Pending
            }
        })
        .await;
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
        if let Some((class_name, false)) = self.running.get() {
            return Err(StepError::Failed(crate::EffectError::non_retryable(format!(
                "the workflow {class_name} waits for {event_type:?} events but does not declare \
                 `waits_for_events = true` in its #[workflow] (the manifest would draw no wait loop)"
            ))));
        }
        let key = self.key(name);
        if let Some(value) = self.replayed(name, &key) {
            return Ok(value);
        }
        let received = std::future::poll_fn(|_| {
            let mut events = self.events.borrow_mut();
            match events.iter().position(|(t, _)| t == event_type) {
                Some(position) => std::task::Poll::Ready(events.remove(position).map(|(_, p)| p)),
                None if self.waits_time_out.get() || !self.driven.get() => {
                    std::task::Poll::Ready(None)
                }
                None => std::task::Poll::Pending,
            }
        })
        .await;
        self.record(StepRecord::Waited {
            name: name.to_owned(),
            event_type: event_type.to_owned(),
        });
        let payload = received.ok_or(StepError::TimedOut)?;
        self.memo.borrow_mut().insert(key, payload.clone());
        Ok(payload)
    }
}

/// Services by name, for tests.
#[derive(Clone, Default)]
pub struct NativeServices {
    /// D1 (or other SQL) databases by binding, e.g. a [`SqliteDatabase`](super::SqliteDatabase).
    pub databases: HashMap<String, Rc<dyn Database>>,
    /// Workflow clients by binding, e.g. a [`NativeWorkflows`](super::NativeWorkflows).
    pub workflows: HashMap<String, Rc<dyn WorkflowClient>>,
    /// Configuration variables and secrets by name (base URLs of recording servers, say).
    pub vars: HashMap<String, String>,
    /// Durable Object namespaces by binding.
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
