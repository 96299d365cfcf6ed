// `idempotency_key` is a step and sender option, not a #[workflow] one: the error is on the key.
use sluice_macros::workflow;
use sluice::workflow::{WorkflowError, WorkflowRun};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Payload {
    pub order_id: String,
}

#[workflow(
    class = "WebhookWorkflow",
    binding = "WEBHOOK_WORKFLOW",
    name = "webhook-workflow",
    idempotency_key = "{order_id}"
)]
pub async fn webhook_workflow(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError> {
    let _ = run;
    Ok(json!({ "order_id": payload.order_id }))
}

fn main() {}
