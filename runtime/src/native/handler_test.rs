//! Runs one registered sender or dispatcher handler on the native host, exactly as the
//! fan-out runs it (its step name, its effective policy, retries on the virtual clock), with
//! the services a test gives it (vars pointing at recording servers, an in-memory D1).

use super::host::{NativeServices, NativeStep};
use super::sqlite::SqliteDatabase;
use crate::error::StepError;
use crate::registry::{self, SenderCall};
use crate::sql::Database;
use crate::step::Step;
use serde_json::Value;
use std::rc::Rc;

/// One event to hand to a handler: its type, its id and the whole forwarded message.
#[derive(Clone, Debug, PartialEq)]
pub struct TestEvent {
    /// The stream the event belongs to (an order id, say).
    pub stream_id: String,
    /// The event type (`"ORDER_SHIPPED"`): picks the handler.
    pub event_type: String,
    /// The event's position in its stream.
    pub event_id: i64,
    /// The whole forwarded message, as [`EventMessage`](crate::EventMessage) serialises it.
    pub message: Value,
}

/// Runs single sender or dispatcher handlers on the native host, without a workflow around
/// them: for unit tests of one handler's requests and error mapping. Give it the vars and
/// databases the handler reads, then [`run`](Self::run) it on a [`TestEvent`]; each delivery is a
/// durable step retried per the handler's effective policy, on a virtual clock.
pub struct HandlerTest {
    workflow: &'static str,
    instance_id: String,
    services: NativeServices,
    step: Rc<NativeStep>,
}

impl HandlerTest {
    /// Handlers fanned out by the workflow class `workflow` (`OrderWorkflow`, say).
    pub fn new(workflow: &'static str) -> Self {
        Self {
            workflow,
            instance_id: "test-instance".into(),
            services: NativeServices::default(),
            step: Rc::new(NativeStep::new()),
        }
    }

    /// A Worker var or secret the handler reads (a recording server's URL, say).
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.services.vars.insert(name.to_owned(), value.into());
        self
    }

    /// A D1 database binding, e.g. [`SqliteDatabase::in_memory`] with migrations applied.
    pub fn database(mut self, binding: &str, db: Rc<SqliteDatabase>) -> Self {
        self.services
            .databases
            .insert(binding.to_owned(), db as Rc<dyn Database>);
        self
    }

    /// The engine the handlers run on: its records, its clock, crash injection.
    pub fn step(&self) -> &NativeStep {
        &self.step
    }

    /// Runs `effect`'s handler of `event` as one durable step (`<effect>.<method>:<event
    /// id>`), retrying per its effective policy. Panics when the effect does not exist or
    /// does not handle the event: that is a mistake in the test.
    pub fn run(&self, effect: &str, event: &TestEvent) -> Result<(), StepError> {
        let def = registry::all_effects()
            .into_iter()
            .find(|e| e.name == effect && e.workflow == self.workflow)
            .unwrap_or_else(|| panic!("no effect {effect:?} fanned out by {}", self.workflow));
        let handler = def
            .handlers
            .iter()
            .find(|h| h.event == event.event_type)
            .unwrap_or_else(|| panic!("{effect} does not handle {}", event.event_type));
        let call = SenderCall {
            event_id: event.event_id,
            stream_id: event.stream_id.clone(),
            instance_id: self.instance_id.clone(),
            message: Rc::new(event.message.clone()),
            services: Rc::new(self.services.clone()),
        };
        let name = format!("{}:{}", handler.step_name(def), event.event_id);
        let config = handler.effective_config(def);
        let run = handler.run;
        let step: &dyn Step = self.step.as_ref();
        futures_util::FutureExt::now_or_never(
            step.run::<(), _, _>(&name, &config, move || run(call.clone())),
        )
        .expect("native handlers never wait on real I/O")
    }
}
