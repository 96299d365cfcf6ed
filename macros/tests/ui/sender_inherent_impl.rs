// #[sender] on an inherent impl (no trait): the error is on the self type.
#[path = "support/shop.rs"]
mod shop;
use shop::{OrderShipped, Shop};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl Webhook {
    pub async fn order_shipped(
        &self,
        ctx: &SendContext,
        event: &Shop<OrderShipped>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
