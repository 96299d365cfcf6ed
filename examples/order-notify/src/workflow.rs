//! The workflow and its one step.

use crate::events::{Customer, OrderShipped, Shipment};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::http::HttpRequest;
use sluice::prelude::*;

/// The `customer.lookup` step's input.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomerQuery {
    /// The order whose customer to look up.
    pub order_id: String,
}

/// Reads the order's customer from the order service (`GET /orders/<id>/customer`). A durable
/// step: once it answered, replays of the run read the recorded answer back.
#[step(
    name = "customer.lookup",
    retries(limit = 5, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds",
    idempotency_key = "{order_id}"
)]
pub async fn lookup_customer(
    ctx: StepContext,
    query: CustomerQuery,
) -> Result<Customer, EffectError> {
    let base = ctx
        .services
        .var("ORDERS_API_URL")
        .ok_or_else(|| EffectError::non_retryable("ORDERS_API_URL is not set"))?;
    let request = HttpRequest {
        method: "GET".into(),
        url: format!(
            "{}/orders/{}/customer",
            base.trim_end_matches('/'),
            query.order_id
        ),
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
        timeout: Duration::from_secs(5),
    };
    let response = ctx
        .services
        .http()
        .send(request)
        .await?
        .error_for_status("order service")?;
    // An answer of the wrong shape will not change on retry.
    serde_json::from_slice(&response.body)
        .map_err(|e| EffectError::non_retryable(format!("order service answer: {e}")))
}

/// One run per shipped order: look the customer up, then tell them (email) and the shop
/// (webhook). Returns how each sender's lane ended.
#[workflow(
    class = "OrderNotifyWorkflow",
    binding = "ORDER_NOTIFY_WORKFLOW",
    name = "order-notify",
    retries(limit = 3, delay = "10 seconds"),
    timeout = "1 minute",
    fans_out = true,
    steps = [lookup_customer]
)]
pub async fn order_notify(run: WorkflowRun, shipment: Shipment) -> Result<Value, WorkflowError> {
    let query = CustomerQuery {
        order_id: shipment.order_id.clone(),
    };
    let customer = LOOKUP_CUSTOMER.call(&run, query).await?;
    let mut stream = EventStream::new(shipment.order_id.clone());
    stream.push(&OrderShipped {
        order_id: shipment.order_id,
        carrier: shipment.carrier,
        tracking_number: shipment.tracking_number,
        customer,
    })?;
    let dispatched = dispatch(&run, &stream).await?;
    Ok(json!({
        "complete": dispatched.is_complete(),
        "lanes": dispatched.lanes,
    }))
}
