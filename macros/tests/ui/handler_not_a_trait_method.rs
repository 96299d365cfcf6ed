// A handler whose name is not a method of the trait (a typo of `order_shipped`): the error
// is on the method's name.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl ShopSender for Webhook {
    async fn order_shiped(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
