// A step the body runs but `steps = [..]` leaves out would vanish from the manifest: the error
// is on the call, and names the function to add.
use serde_json::{json, Value};
use sluice::prelude::*;

#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub order_id: String,
}

#[step(name = "orders.load")]
async fn load(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

#[step(name = "orders.notify")]
async fn notify(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

#[workflow(class = "OrderWorkflow", binding = "ORDER_WORKFLOW", name = "order-workflow", steps = [load])]
pub async fn order_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
    let loaded = LOAD.call(&run, order.clone()).await?;
    let notified = NOTIFY.call(&run, order).await?;
    Ok(json!([loaded, notified]))
}

fn main() {}
