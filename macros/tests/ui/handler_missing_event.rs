// A handler that forgot its event argument: the error is on the argument list.
#[path = "support/shop.rs"]
mod shop;
use shop::ShopSender;
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl ShopSender for Webhook {
    async fn order_shipped(&self, ctx: &SendContext) -> Result<(), EffectError> {
        let _ = ctx;
        Ok(())
    }
}

fn main() {}
