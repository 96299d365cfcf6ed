// The removed `event` option of a handler's #[step]: the event type comes from the parameter
// type, so a misspelt or mismatched `event = ".."` can no longer silently never run.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl ShopSender for Webhook {
    #[step(event = "ORDER_SHIPED", retries(limit = 5))]
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
