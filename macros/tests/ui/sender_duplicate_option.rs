// The same option twice: the error is on the second key.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", timeout = "30 seconds", timeout = "1 minute")]
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
