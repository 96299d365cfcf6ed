// A negative retries limit: the same message as retry-policies.toml gives, on the value.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", retries(limit = -1, delay = 5))]
impl ShopSender for Webhook {
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
