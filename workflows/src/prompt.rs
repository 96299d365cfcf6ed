//! `IncidentPromptWorkflow`: answers a prompt addressed to the incident agent. Minimal until
//! the AI adapter lands: it validates its input and records receipt in one step.

use incidentd_runtime::typed_step::StepContext;
use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::EffectError;
use incidentd_runtime::{step, workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromptRequest {
    pub incident_id: String,
    pub prompt: String,
    pub user_id: String,
    /// The prompt's message timestamp (its identity in the chat).
    pub ts: String,
}

#[step(name = "agent-prompt.received", idempotency_key = "{incident_id}:{ts}")]
async fn record_prompt(ctx: StepContext, request: PromptRequest) -> Result<Value, EffectError> {
    Ok(json!({ "key": ctx.idempotency_key, "prompt_chars": request.prompt.chars().count() }))
}

#[workflow(
    class = "IncidentPromptWorkflow",
    binding = "INCIDENT_PROMPT_WORKFLOW",
    name = "incident-prompt-workflow",
    retries(limit = 3, delay = "2 seconds"),
    steps = [record_prompt]
)]
pub async fn incident_prompt_workflow(
    run: WorkflowRun,
    request: PromptRequest,
) -> Result<Value, WorkflowError> {
    Ok(RECORD_PROMPT.call(&run, request).await?)
}
