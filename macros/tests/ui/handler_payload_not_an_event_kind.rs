// An event envelope around a payload that declares no event type: the error is on the
// parameter type and shows how to declare one.
#[path = "support/shop.rs"]
mod shop;
use shop::Shop;
use sluice::prelude::*;

#[derive(serde::Deserialize)]
pub struct NoteAdded {
    pub text: String,
}

#[allow(async_fn_in_trait)]
pub trait NoteSender {
    async fn note_added(
        &self,
        ctx: &SendContext,
        event: &Shop<NoteAdded>,
    ) -> Result<(), EffectError>;
}

#[derive(Default)]
pub struct Notes;

#[sender(name = "notes")]
impl NoteSender for Notes {
    async fn note_added(
        &self,
        ctx: &SendContext,
        event: &Shop<NoteAdded>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, &event.text);
        Ok(())
    }
}

fn main() {}
