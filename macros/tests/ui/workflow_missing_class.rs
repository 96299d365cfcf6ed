// A #[workflow] without `class`: the error is on the function name.
use sluice_macros::workflow;
use sluice::workflow::{WorkflowError, WorkflowRun};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Payload {
    pub order_id: String,
}

#[workflow(binding = "WEBHOOK_WORKFLOW", name = "webhook-workflow")]
pub async fn webhook_workflow(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError> {
    let _ = run;
    Ok(json!({ "order_id": payload.order_id }))
}

fn main() {}
