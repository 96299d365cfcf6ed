// A sender type without `Default`: the runtime builds one per delivery. The error is on the
// impl's self type and says what to add.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice::prelude::*;

pub struct Webhook {
    pub url: String,
}

#[sender(name = "webhook")]
impl ShopSender for Webhook {
    async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event, &self.url);
        Ok(())
    }
}

fn main() {}
