// A misspelt option: the error names the nearest valid one, and still lists them all.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop, ShopSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Mailer;

#[sender(name = "mailer", retires(limit = 3))]
impl ShopSender for Mailer {
    async fn order_shipped(&self, ctx: &SendContext, event: &Shop<OrderShipped>) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
