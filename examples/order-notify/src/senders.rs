//! The two senders. Each implements [`OrderSender`] for the events it handles; `#[sender]`
//! registers one durable step per implemented method.

use crate::events::OrderShipped;
use serde_json::json;
use sluice::prelude::*;

/// The events an order sender may handle; each default does nothing.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no `Send` bound wanted
pub trait OrderSender {
    /// Tells whoever this sender serves that an order shipped. Errors follow
    /// [`HttpResponse::error_for_status`]: 429 and 5xx are retried, other statuses hold the lane.
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Envelope<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

/// A configured base URL; `requires_var` keeps the lane closed when it is unset, so a missing
/// one here is a deployment mistake, not a reason to retry.
fn base_url(ctx: &SendContext, var: &str) -> Result<String, EffectError> {
    ctx.services
        .var(var)
        .map(|url| url.trim_end_matches('/').to_owned())
        .ok_or_else(|| EffectError::non_retryable(format!("{var} is not set")))
}

/// Emails the customer through the provider's `POST /messages`.
#[derive(Default)]
pub struct Email;

#[sender(
    name = "email",
    requires_var = "EMAIL_API_URL",
    retries(limit = 4, delay = "5 seconds", backoff = "exponential"),
    timeout = "15 seconds"
)]
impl OrderSender for Email {
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Envelope<OrderShipped>,
    ) -> Result<(), EffectError> {
        let url = format!("{}/messages", base_url(ctx, "EMAIL_API_URL")?);
        let body = json!({
            "to": event.customer.email,
            "subject": format!("Your order {} is on its way", event.order_id),
            "text": format!(
                "Hello {}, your order shipped with {} (tracking number {}).",
                event.customer.name, event.carrier, event.tracking_number
            ),
        });
        // The provider drops a repeat of a key it has seen: a retry never sends twice.
        let request =
            HttpRequest::post_json(&url, &body).header("idempotency-key", &ctx.idempotency_key);
        ctx.services
            .http()
            .send(request)
            .await?
            .error_for_status("email")?;
        Ok(())
    }
}

/// Tells the shop's own endpoint, which dedupes on the `webhook-id` header.
#[derive(Default)]
pub struct Webhook;

#[sender(
    name = "webhook",
    requires_var = "WEBHOOK_URL",
    retries(limit = 3, delay = "2 seconds"),
    timeout = "10 seconds",
    idempotency_key = "{stream_id}:{event_id}:shipped"
)]
impl OrderSender for Webhook {
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Envelope<OrderShipped>,
    ) -> Result<(), EffectError> {
        let body = json!({
            "type": "order.shipped",
            "order_id": event.order_id,
            "carrier": event.carrier,
            "tracking_number": event.tracking_number,
        });
        let request = HttpRequest::post_json(&base_url(ctx, "WEBHOOK_URL")?, &body)
            .header("webhook-id", &ctx.idempotency_key);
        ctx.services
            .http()
            .send(request)
            .await?
            .error_for_status("webhook")?;
        Ok(())
    }
}
