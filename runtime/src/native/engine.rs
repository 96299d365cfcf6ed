//! A native stand-in for a Workflows binding, for tests of whole pipelines: instances are
//! created and sent events through the [`WorkflowClient`] port (as an outbox forwarder does),
//! and [`NativeWorkflows::run_pending`] advances every live instance with Cloudflare's replay
//! semantics (each instance has its own [`NativeStep`], suspended while it waits for an event).
//! Events sent to an instance that has finished are kept aside as undelivered, so a test can
//! prove nothing was lost. Forwarding faults can be scripted.

use super::host::{Advanced, NativeStep, VirtualClock};
use crate::registry;
use crate::workflow::{
    Created, Services, WorkflowClient, WorkflowClientError, WorkflowClientErrorKind, WorkflowRun,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where an instance stands.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceStatus {
    /// Created or sent an event; not advanced since.
    Queued,
    /// Suspended in `wait_for_event` until an event is sent to it.
    Waiting,
    /// Every branch waits and a sleep ends at `until` (shared virtual clock).
    Sleeping {
        /// The virtual time (ms) the sleep ends at.
        until: i64,
    },
    /// The run returned this output.
    Complete(Value),
    /// The run failed with this error (the workflow's own, or a step's after its retries).
    Errored(String),
}

struct Instance {
    step: Rc<NativeStep>,
    params: Value,
    status: InstanceStatus,
}

/// Decides whether one engine call fails: `(operation, instance id, payload)` → an error
/// message to fail with, or `None`.
pub type FaultRule = Box<dyn FnMut(&str, &str, &Value) -> Option<String>>;

/// Prepares each new instance's step (a crash schedule, say): `(instance id, step)`.
pub type InstanceHook = Box<dyn Fn(&str, &NativeStep)>;

/// Decides whether an accepted `create` or `send_event` answers an error anyway, as when the
/// platform took the call and the caller's connection died before the answer: the caller
/// retries, so the instance sees the event again.
pub type LostAnswerRule = Box<dyn FnMut(&str, &str, &Value) -> bool>;

/// A native Workflows binding for one registered workflow class: create instances and send
/// them events through [`WorkflowClient`] (as an outbox forwarder does), then advance them with
/// [`run_pending`](Self::run_pending). Faults can be scripted on the binding's calls
/// ([`fail_when`](Self::fail_when), [`lose_answers_when`](Self::lose_answers_when),
/// [`drop_events_when`](Self::drop_events_when)) and crashes on each instance's engine
/// ([`on_create`](Self::on_create)).
///
/// # Panics
///
/// [`run_pending`](Self::run_pending) panics when the class is not registered in the test
/// binary or [`set_services`](Self::set_services) was not called: both are mistakes in the test.
pub struct NativeWorkflows {
    class_name: &'static str,
    instances: RefCell<BTreeMap<String, Instance>>,
    undelivered: RefCell<Vec<(String, Value)>>,
    faults: RefCell<Vec<FaultRule>>,
    lost_answers: RefCell<Option<LostAnswerRule>>,
    dropped_events: RefCell<Option<LostAnswerRule>>,
    on_create: RefCell<Option<InstanceHook>>,
    services: RefCell<Option<Rc<dyn Services>>>,
    /// A pipeline's clock: instances sleep on it, and the pipeline moves it.
    clock: Option<VirtualClock>,
}

impl NativeWorkflows {
    /// An engine for the registered workflow class `class_name`.
    pub fn new(class_name: &'static str) -> Self {
        Self {
            class_name,
            instances: RefCell::default(),
            undelivered: RefCell::default(),
            faults: RefCell::default(),
            lost_answers: RefCell::default(),
            dropped_events: RefCell::default(),
            on_create: RefCell::default(),
            services: RefCell::default(),
            clock: None,
        }
    }

    /// An engine whose instances sleep on `clock`: [`run_pending`](Self::run_pending) wakes
    /// those whose sleep has ended, and [`next_wake`](Self::next_wake) says when the next one
    /// does, for the owner of the clock to move it there.
    pub fn with_clock(class_name: &'static str, clock: VirtualClock) -> Self {
        Self {
            clock: Some(clock),
            ..Self::new(class_name)
        }
    }

    /// When the earliest sleeping instance wakes up.
    pub fn next_wake(&self) -> Option<i64> {
        self.instances
            .borrow()
            .values()
            .filter_map(|i| match i.status {
                InstanceStatus::Sleeping { until } => Some(until),
                _ => None,
            })
            .min()
    }

    fn is_due(&self, status: &InstanceStatus) -> bool {
        match status {
            InstanceStatus::Queued => true,
            InstanceStatus::Sleeping { until } => self
                .clock
                .as_ref()
                .is_some_and(|clock| clock.get() >= *until),
            _ => false,
        }
    }

    /// Calls `hook` with each instance created from now on, before its first run.
    pub fn on_create(&self, hook: impl Fn(&str, &NativeStep) + 'static) {
        *self.on_create.borrow_mut() = Some(Box::new(hook));
    }

    /// Accepted calls for which `rule` answers `true` still fail (see [`LostAnswerRule`]);
    /// replaces an earlier rule, and [`clear_faults`](Self::clear_faults) removes it.
    pub fn lose_answers_when(&self, rule: impl FnMut(&str, &str, &Value) -> bool + 'static) {
        *self.lost_answers.borrow_mut() = Some(Box::new(rule));
    }

    /// `send_event` calls for which `rule` answers `true` succeed, and the event never reaches
    /// the instance: an engine that loses an accepted event (as the local engine can when its
    /// process is killed). Replaces an earlier rule; [`clear_faults`](Self::clear_faults)
    /// removes it.
    pub fn drop_events_when(&self, rule: impl FnMut(&str, &str, &Value) -> bool + 'static) {
        *self.dropped_events.borrow_mut() = Some(Box::new(rule));
    }

    fn lost_answer(
        &self,
        operation: &str,
        id: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError> {
        let lost = self
            .lost_answers
            .borrow_mut()
            .as_mut()
            .is_some_and(|rule| rule(operation, id, payload));
        match lost {
            true => Err(WorkflowClientError::new(format!(
                "{operation} {id}: the answer was lost"
            ))),
            false => Ok(()),
        }
    }

    /// The services instances run with (set once the services exist, since they usually
    /// include this engine).
    pub fn set_services(&self, services: Rc<dyn Services>) {
        *self.services.borrow_mut() = Some(services);
    }

    /// Forgets the services: they usually hold this engine, and the cycle would keep both
    /// alive after their owner is gone.
    pub fn detach_services(&self) {
        self.services.borrow_mut().take();
    }

    /// Adds a fault rule, consulted on every `create` and `send_event` until it is removed
    /// by [`clear_faults`](Self::clear_faults).
    pub fn fail_when(&self, rule: impl FnMut(&str, &str, &Value) -> Option<String> + 'static) {
        self.faults.borrow_mut().push(Box::new(rule));
    }

    /// Removes every fault rule, lost-answer rule and dropped-event rule.
    pub fn clear_faults(&self) {
        self.faults.borrow_mut().clear();
        self.lost_answers.borrow_mut().take();
        self.dropped_events.borrow_mut().take();
    }

    fn fault(&self, operation: &str, id: &str, payload: &Value) -> Option<WorkflowClientError> {
        self.faults
            .borrow_mut()
            .iter_mut()
            .find_map(|rule| rule(operation, id, payload))
            .map(WorkflowClientError::new)
    }

    /// Advances every instance that has something to do, until none has. Returns how many
    /// runs it made.
    pub fn run_pending(&self) -> usize {
        let def = registry::workflow(self.class_name)
            .unwrap_or_else(|| panic!("no registered workflow {}", self.class_name));
        let services = self
            .services
            .borrow()
            .clone()
            .expect("NativeWorkflows::set_services before run_pending");
        let mut runs = 0;
        loop {
            let next = self
                .instances
                .borrow()
                .iter()
                .find(|(_, i)| self.is_due(&i.status))
                .map(|(id, i)| (id.clone(), i.step.clone(), i.params.clone()));
            let Some((id, step, params)) = next else {
                return runs;
            };
            let run = WorkflowRun {
                class_name: self.class_name,
                instance_id: id.clone(),
                payload: params,
                step: step.clone(),
                services: services.clone(),
            };
            let status = match step.advance(def, run) {
                Advanced::Waiting => InstanceStatus::Waiting,
                Advanced::Sleeping { until } => InstanceStatus::Sleeping { until },
                Advanced::Finished(Ok(output)) => InstanceStatus::Complete(output),
                Advanced::Finished(Err(e)) => InstanceStatus::Errored(e.0),
            };
            runs += 1;
            if let Some(instance) = self.instances.borrow_mut().get_mut(&id) {
                instance.status = status;
            }
        }
    }

    /// Instance ids, sorted.
    pub fn instance_ids(&self) -> Vec<String> {
        self.instances.borrow().keys().cloned().collect()
    }

    /// Where instance `id` stands; `None` if no such instance was created.
    pub fn instance_status(&self, id: &str) -> Option<InstanceStatus> {
        self.instances.borrow().get(id).map(|i| i.status.clone())
    }

    /// The step engine of one instance (its records, its clock).
    pub fn step(&self, id: &str) -> Option<Rc<NativeStep>> {
        self.instances.borrow().get(id).map(|i| i.step.clone())
    }

    /// Events sent to instances that had already finished: `(instance id, payload)`.
    pub fn undelivered(&self) -> Vec<(String, Value)> {
        self.undelivered.borrow().clone()
    }
}

#[async_trait::async_trait(?Send)]
impl WorkflowClient for NativeWorkflows {
    async fn create(
        &self,
        instance_id: &str,
        params: &Value,
    ) -> Result<Created, WorkflowClientError> {
        if let Some(e) = self.fault("create", instance_id, params) {
            return Err(e);
        }
        let mut instances = self.instances.borrow_mut();
        if instances.contains_key(instance_id) {
            return Ok(Created::AlreadyExisted);
        }
        let step = Rc::new(match &self.clock {
            Some(clock) => NativeStep::suspending_on(clock.clone()),
            None => NativeStep::suspending(),
        });
        if let Some(hook) = self.on_create.borrow().as_ref() {
            hook(instance_id, &step);
        }
        instances.insert(
            instance_id.to_owned(),
            Instance {
                step,
                params: params.clone(),
                status: InstanceStatus::Queued,
            },
        );
        drop(instances);
        self.lost_answer("create", instance_id, params)?;
        Ok(Created::New)
    }

    async fn send_event(
        &self,
        instance_id: &str,
        event_type: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError> {
        if let Some(e) = self.fault("send_event", instance_id, payload) {
            return Err(e);
        }
        let mut instances = self.instances.borrow_mut();
        let Some(instance) = instances.get_mut(instance_id) else {
            return Err(WorkflowClientError::of(
                WorkflowClientErrorKind::NotFound,
                format!("no instance {instance_id}"),
            ));
        };
        match instance.status {
            InstanceStatus::Complete(_) | InstanceStatus::Errored(_) => {
                // The platform accepts it, and nobody will ever read it.
                self.undelivered
                    .borrow_mut()
                    .push((instance_id.to_owned(), payload.clone()));
            }
            _ if self
                .dropped_events
                .borrow_mut()
                .as_mut()
                .is_some_and(|rule| rule("send_event", instance_id, payload)) => {}
            _ => {
                instance.step.send_event(event_type, payload.clone());
                instance.status = InstanceStatus::Queued;
            }
        }
        drop(instances);
        self.lost_answer("send_event", instance_id, payload)
    }

    async fn status(&self, instance_id: &str) -> Result<Value, WorkflowClientError> {
        let instances = self.instances.borrow();
        let instance = instances.get(instance_id).ok_or_else(|| {
            WorkflowClientError::of(
                WorkflowClientErrorKind::NotFound,
                format!("no instance {instance_id}"),
            )
        })?;
        Ok(match &instance.status {
            InstanceStatus::Queued => json!({ "status": "queued" }),
            InstanceStatus::Waiting | InstanceStatus::Sleeping { .. } => {
                json!({ "status": "waiting" })
            }
            InstanceStatus::Complete(output) => json!({ "status": "complete", "output": output }),
            InstanceStatus::Errored(error) => json!({ "status": "errored", "error": error }),
        })
    }
}
