// A misspelt field of retries(..): the error names the nearest valid one.
use sluice::prelude::*;

#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub order_id: String,
}

#[step(name = "orders.load", retries(limt = 3))]
async fn load(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

fn main() {}
