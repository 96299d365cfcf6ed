// #[step] on a handler method whose impl lacks #[sender]: the error is on the receiver and
// tells to annotate the impl.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice_macros::step;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

impl ShopSender for Webhook {
    #[step(
        retries(limit = 5),
        idempotency_key = "{order_id}:{event_id}:webhook"
    )]
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
