//! An order notifier written against a re-export of the framework (`fw`), as a facade crate
//! would offer it: every macro is told where the framework is with `crate = "crate::fw"`.

pub use framework as fw;

use fw::prelude::*;
use fw::registry::{SendContext, SenderCall};
use serde_json::{json, Value};

fw::retry_policies!(
    file = "retry-policies.toml",
    env = "SLUICE_REEXPORT_TEST_RETRY_POLICIES",
    crate = "crate::fw"
);

/// Referring to this keeps the crate's registrations in a test's link.
#[inline(never)]
pub fn link() {}

pub const SHOP_WORKFLOW: &str = "ShopWorkflow";

/// One delivered order event.
pub struct OrderEvent<T> {
    pub order_id: String,
    pub data: T,
}

impl<T: EventKind + serde::de::DeserializeOwned> FromSenderCall for OrderEvent<T> {
    const WORKFLOW: &'static str = SHOP_WORKFLOW;
    const EVENT: &'static str = T::EVENT_TYPE;

    fn from_call(call: &SenderCall) -> Result<Self, EffectError> {
        let data = serde_json::from_value(call.message["data"].clone())
            .map_err(|e| EffectError::non_retryable(e.to_string()))?;
        Ok(OrderEvent {
            order_id: call.stream_id.clone(),
            data,
        })
    }
}

#[derive(serde::Deserialize)]
pub struct OrderShipped {
    pub carrier: String,
}

impl EventKind for OrderShipped {
    const EVENT_TYPE: &'static str = "ORDER_SHIPPED";
}

#[allow(async_fn_in_trait)]
pub trait OrderSender {
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &OrderEvent<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

#[derive(Default)]
pub struct Mailer;

#[sender(name = "mailer", retries(limit = 2), crate = "crate::fw")]
impl OrderSender for Mailer {
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &OrderEvent<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, &event.order_id, &event.data.carrier);
        Ok(())
    }
}

#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub order_id: String,
}

#[step(
    name = "orders.load",
    idempotency_key = "{order_id}",
    crate = "crate::fw"
)]
async fn load(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    Ok(format!("{} ({})", order.order_id, ctx.idempotency_key))
}

/// Fans one event out and ends: no wait loop in its graph.
#[workflow(
    class = "ShopWorkflow",
    binding = "SHOP_WORKFLOW",
    name = "shop-workflow",
    steps = [load],
    fans_out = true,
    crate = "crate::fw"
)]
pub async fn shop_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
    Ok(json!({ "loaded": LOAD.call(&run, order).await? }))
}

/// Waits for its order to come back, and says so.
#[workflow(
    class = "ReturnsWorkflow",
    binding = "RETURNS_WORKFLOW",
    name = "returns-workflow",
    waits_for_events = true,
    crate = "crate::fw"
)]
pub async fn returns_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
    let returned: Value = run
        .step
        .wait_for("return", "ORDER_RETURNED", fw::Duration::from_secs(60))
        .await
        .map_err(|e| WorkflowError(e.to_string()))?;
    Ok(json!({ "order": order.order_id, "returned": returned }))
}

/// Waits without declaring it: the native host refuses the wait.
#[workflow(
    class = "SilentWaitWorkflow",
    binding = "SILENT_WAIT_WORKFLOW",
    name = "silent-wait-workflow",
    crate = "crate::fw"
)]
pub async fn silent_wait_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
    let _ = order;
    run.step
        .wait_for::<Value>("return", "ORDER_RETURNED", fw::Duration::from_secs(60))
        .await
        .map_err(|e| WorkflowError(e.to_string()))
}
