//! A `#[step]` function as a value: `LOAD_CONTEXT.call(&run, input)` runs it as one durable
//! `step.do`, named after the step and its idempotency key, with its effective policy.

use crate::bounds::{StepInput, StepOutput};
use crate::config;
use crate::error::{EffectError, StepError};
use crate::registry::{self, StepDef};
use crate::retry::StepConfig;
use crate::workflow::{Services, WorkflowRun};
use crate::BoxFuture;
use std::rc::Rc;

/// What a step body receives besides its input.
#[derive(Clone)]
pub struct StepContext {
    /// From the step's template; the same on every attempt and replay.
    pub idempotency_key: String,
    /// The host's services (HTTP, configuration variables, objects, databases).
    pub services: Rc<dyn Services>,
}

/// A registered `#[step]` function: what the macro generates as `NAME_IN_CAPS`. Call it with
/// [`TypedStep::call`]; the fields are filled in by the macro.
pub struct TypedStep<I, O> {
    /// The step's name and attribute config, as registered.
    pub def: StepDef,
    /// Renders the step's idempotency key from the run and the input.
    pub key: fn(&WorkflowRun, &I) -> String,
    /// The step's body, the annotated function.
    pub body: fn(StepContext, I) -> BoxFuture<'static, Result<O, EffectError>>,
}

impl<I, O> TypedStep<I, O>
where
    I: StepInput,
    O: StepOutput,
{
    /// The step's config within `workflow`: its own, else the workflow's defaults, then
    /// `retry-policies.toml`.
    pub fn effective_config(&self, workflow: &str) -> StepConfig {
        let defaults = registry::workflow(workflow)
            .map(|w| w.defaults)
            .unwrap_or_default();
        config::effective(self.def.name, None, self.def.config.unwrap_or(defaults))
    }

    /// Runs the step as one durable `step.do` named `<step>:<idempotency key>`, with its
    /// [effective config](Self::effective_config). A replay returns the memoised output without
    /// running the body. Errors: [`StepError::Failed`] once every attempt failed (or one failed
    /// for good), [`StepError::Codec`] if the output does not round-trip through JSON.
    pub async fn call(&'static self, run: &WorkflowRun, input: I) -> Result<O, StepError> {
        let idempotency_key = (self.key)(run, &input);
        let name = format!("{}:{}", self.def.name, idempotency_key);
        let config = self.effective_config(run.class_name);
        let context = StepContext {
            idempotency_key,
            services: run.services.clone(),
        };
        let body = self.body;
        run.step
            .run(&name, &config, move || body(context.clone(), input.clone()))
            .await
    }
}
