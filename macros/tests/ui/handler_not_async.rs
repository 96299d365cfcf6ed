// A handler without `async`: the error is on its `fn` keyword.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl ShopSender for Webhook {
    fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
