//! What a workflow body and an outbox forwarder can reach: the platform services, and clients
//! of other workflows.

use crate::sql::{Database, SqlError};
use crate::step::Step;
use serde_json::Value;
use std::fmt;
use std::rc::Rc;

/// Result of creating a workflow instance. The instance id is the idempotency key: creating an
/// id that exists is not an error for at-least-once callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    New,
    AlreadyExisted,
}

/// What kind of failure a [`WorkflowClientError`] is, classified by the host that talked to
/// the engine, so callers never interpret message text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowClientErrorKind {
    /// `create` with an instance id that exists.
    AlreadyExists,
    /// No instance (or binding) by that name.
    NotFound,
    /// Anything else: the engine failed or refused.
    Other,
}

/// A failure talking to the workflow engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowClientError {
    pub kind: WorkflowClientErrorKind,
    pub message: String,
}

impl WorkflowClientError {
    /// An unclassified failure.
    pub fn new(message: impl Into<String>) -> Self {
        Self::of(WorkflowClientErrorKind::Other, message)
    }

    pub fn of(kind: WorkflowClientErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for WorkflowClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WorkflowClientError {}

/// A workflow binding: `create`, `get(id).sendEvent`, `get(id).status`.
#[async_trait::async_trait(?Send)]
pub trait WorkflowClient {
    async fn create(
        &self,
        instance_id: &str,
        params: &Value,
    ) -> Result<Created, WorkflowClientError>;

    async fn send_event(
        &self,
        instance_id: &str,
        event_type: &str,
        payload: &Value,
    ) -> Result<(), WorkflowClientError>;

    /// The engine's status object (`{ status, error, output }`).
    async fn status(&self, instance_id: &str) -> Result<Value, WorkflowClientError>;
}

/// Platform services by binding name.
pub trait Services {
    fn database(&self, binding: &str) -> Result<Rc<dyn Database>, SqlError>;
    fn http(&self) -> Rc<dyn crate::http::HttpClient>;
    fn workflow(&self, binding: &str) -> Result<Rc<dyn WorkflowClient>, WorkflowClientError>;

    /// The client of a registered workflow class, through the binding the registry names.
    fn workflow_of_class(
        &self,
        class_name: &str,
    ) -> Result<Rc<dyn WorkflowClient>, WorkflowClientError> {
        let binding = crate::registry::binding(class_name).ok_or_else(|| {
            WorkflowClientError::of(
                WorkflowClientErrorKind::NotFound,
                format!("no registered workflow class {class_name}"),
            )
        })?;
        self.workflow(binding)
    }
    /// A Durable Object namespace binding.
    fn objects(
        &self,
        binding: &str,
    ) -> Result<Rc<dyn crate::object::ObjectNamespace>, crate::object::ObjectCallError>;
    fn var(&self, name: &str) -> Option<String>;
}

/// Everything one run of a workflow body receives.
#[derive(Clone)]
pub struct WorkflowRun {
    /// The registered class running (`OrderWorkflow`, say).
    pub class_name: &'static str,
    pub instance_id: String,
    pub payload: Value,
    pub step: Rc<dyn Step>,
    pub services: Rc<dyn Services>,
}

/// A failure of the run itself (not of an isolated side effect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowError(pub String);

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WorkflowError {}

impl From<crate::error::StepError> for WorkflowError {
    fn from(e: crate::error::StepError) -> Self {
        WorkflowError(e.to_string())
    }
}
