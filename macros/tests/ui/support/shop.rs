// A small application on the framework alone, for the UI tests: an order event envelope and
// the effect trait its senders implement. Included by each test with `#[path]`.
#![allow(dead_code)]

use sluice::registry::{FromSenderCall, SendContext, SenderCall};
use sluice::{EffectError, EventKind};

pub const SHOP_WORKFLOW: &str = "ShopWorkflow";

/// One delivered event: the order it is about and its typed data.
pub struct Shop<T> {
    pub order_id: String,
    pub event_id: i64,
    pub data: T,
}

impl<T> std::ops::Deref for Shop<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: EventKind + serde::de::DeserializeOwned> FromSenderCall for Shop<T> {
    const WORKFLOW: &'static str = SHOP_WORKFLOW;
    const EVENT: &'static str = T::EVENT_TYPE;

    fn from_call(call: &SenderCall) -> Result<Self, EffectError> {
        let data = serde_json::from_value(call.message["data"].clone())
            .map_err(|e| EffectError::non_retryable(e.to_string()))?;
        Ok(Shop {
            order_id: call.stream_id.clone(),
            event_id: call.event_id,
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

#[derive(serde::Deserialize)]
pub struct OrderCancelled {
    pub reason: String,
}

impl EventKind for OrderCancelled {
    const EVENT_TYPE: &'static str = "ORDER_CANCELLED";
}

/// One method per event kind, each unhandled unless implemented.
#[allow(async_fn_in_trait)]
pub trait ShopSender {
    async fn order_shipped(&self, ctx: &SendContext, event: &Shop<OrderShipped>) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }

    async fn order_cancelled(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderCancelled>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}
