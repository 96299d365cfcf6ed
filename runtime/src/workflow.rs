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
    /// The instance was created by this call.
    New,
    /// An instance with this id existed already; nothing was created.
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
    /// Which failure it is; decide on this, never on the message.
    pub kind: WorkflowClientErrorKind,
    /// The engine's description, for logs.
    pub message: String,
}

impl WorkflowClientError {
    /// An unclassified failure.
    pub fn new(message: impl Into<String>) -> Self {
        Self::of(WorkflowClientErrorKind::Other, message)
    }

    /// A failure of `kind`.
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
    /// Creates instance `instance_id` with `params` as its payload. An existing id is
    /// `Ok(Created::AlreadyExisted)`, so at-least-once callers may repeat the call.
    async fn create(
        &self,
        instance_id: &str,
        params: &Value,
    ) -> Result<Created, WorkflowClientError>;

    /// Sends `payload` as an event of `event_type` to a running instance (one waiting in
    /// `wait_for_event` wakes). A missing instance is [`WorkflowClientErrorKind::NotFound`].
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
    /// The D1 (or other SQL) database bound as `binding`; an error if there is none.
    fn database(&self, binding: &str) -> Result<Rc<dyn Database>, SqlError>;
    /// The outbound HTTP client.
    fn http(&self) -> Rc<dyn crate::http::HttpClient>;
    /// The client of the workflow bound as `binding`; [`WorkflowClientErrorKind::NotFound`] if
    /// there is none.
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
    /// The configuration variable or secret `name`, or `None` when unset (or not a string).
    fn var(&self, name: &str) -> Option<String>;
}

/// Everything one run of a workflow body receives.
#[derive(Clone)]
pub struct WorkflowRun {
    /// The registered class running (`OrderWorkflow`, say).
    pub class_name: &'static str,
    /// The instance's id: the idempotency key it was created with.
    pub instance_id: String,
    /// The payload it was created with (`#[workflow]` decodes it into the function's payload type).
    pub payload: Value,
    /// The durable step engine: every side effect goes through it.
    pub step: Rc<dyn Step>,
    /// The platform services: databases, HTTP, other workflows, objects, variables.
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
