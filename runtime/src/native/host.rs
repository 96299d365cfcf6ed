//! A native stand-in for the Workflows engine, for tests: step results memoised by name, retries
//! per the step's policy on a virtual clock (no real sleeping), `sleep`, and `wait_for_event`
//! fed from a queue. Everything it did is recorded for assertions.

use crate::duration::Duration;
use crate::error::{EffectError, StepError};
use crate::retry::StepConfig;
use crate::sql::{Database, SqlError};
use crate::step::{Effect, Step};
use crate::workflow::{Services, WorkflowClient, WorkflowClientError};
use crate::BoxFuture;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// One thing the native engine did.
#[derive(Clone, Debug, PartialEq)]
pub enum StepRecord {
    /// An attempt of `step.do`, at virtual time `at` (ms), and whether it failed.
    Attempt {
        name: String,
        attempt: u32,
        at: u64,
        error: Option<String>,
    },
    /// A `step.do` answered from the memo without running.
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
}

#[derive(Default)]
pub struct NativeStep {
    clock: Cell<u64>,
    memo: RefCell<HashMap<String, Value>>,
    events: RefCell<VecDeque<(String, Value)>>,
    records: RefCell<Vec<StepRecord>>,
}

impl NativeStep {
    pub fn new() -> Self {
        Self::default()
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
}

impl Step for NativeStep {
    fn run_json<'a>(
        &'a self,
        name: &'a str,
        config: &'a StepConfig,
        mut effect: Effect,
    ) -> BoxFuture<'a, Result<Value, StepError>> {
        Box::pin(async move {
            if let Some(value) = self.memo.borrow().get(name).cloned() {
                self.record(StepRecord::Replayed {
                    name: name.to_owned(),
                });
                return Ok(value);
            }
            let mut attempt = 1;
            loop {
                let outcome = effect().await;
                self.record(StepRecord::Attempt {
                    name: name.to_owned(),
                    attempt,
                    at: self.clock.get(),
                    error: outcome
                        .as_ref()
                        .err()
                        .map(|e: &EffectError| e.message.clone()),
                });
                match outcome {
                    Ok(value) => {
                        self.memo
                            .borrow_mut()
                            .insert(name.to_owned(), value.clone());
                        return Ok(value);
                    }
                    Err(e) if !e.is_retryable() || attempt > config.retries.limit => {
                        return Err(StepError::Failed(e));
                    }
                    Err(e) => {
                        let wait = e
                            .retry_after
                            .unwrap_or_else(|| config.retries.delay_before_retry(attempt));
                        self.clock.set(self.clock.get() + wait.as_millis());
                        attempt += 1;
                    }
                }
            }
        })
    }

    fn sleep<'a>(
        &'a self,
        name: &'a str,
        duration: Duration,
    ) -> BoxFuture<'a, Result<(), StepError>> {
        Box::pin(async move {
            self.clock.set(self.clock.get() + duration.as_millis());
            self.record(StepRecord::Slept {
                name: name.to_owned(),
                duration,
            });
            Ok(())
        })
    }

    fn wait_for_event<'a>(
        &'a self,
        name: &'a str,
        event_type: &'a str,
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<Value, StepError>> {
        Box::pin(async move {
            self.record(StepRecord::Waited {
                name: name.to_owned(),
                event_type: event_type.to_owned(),
            });
            let mut events = self.events.borrow_mut();
            let position = events
                .iter()
                .position(|(t, _)| t == event_type)
                .ok_or(StepError::TimedOut)?;
            Ok(events
                .remove(position)
                .map(|(_, payload)| payload)
                .unwrap_or(Value::Null))
        })
    }
}

/// Services by name, for tests.
#[derive(Default)]
pub struct NativeServices {
    pub databases: HashMap<String, Rc<dyn Database>>,
    pub workflows: HashMap<String, Rc<dyn WorkflowClient>>,
    pub vars: HashMap<String, String>,
}

impl Services for NativeServices {
    fn database(&self, binding: &str) -> Result<Rc<dyn Database>, SqlError> {
        self.databases
            .get(binding)
            .cloned()
            .ok_or_else(|| SqlError::new(format!("no database {binding}")))
    }

    fn workflow(&self, binding: &str) -> Result<Rc<dyn WorkflowClient>, WorkflowClientError> {
        self.workflows
            .get(binding)
            .cloned()
            .ok_or_else(|| WorkflowClientError(format!("no workflow {binding}")))
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
}
