// `crate = ".."` must name the framework crate by a path.
use sluice::prelude::*;

#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub order_id: String,
}

#[step(name = "orders.load", crate = "not a path")]
async fn load(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

fn main() {}
