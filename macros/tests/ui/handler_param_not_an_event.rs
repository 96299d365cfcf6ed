// An effect trait whose handler takes something that is not an event: the error is on the
// parameter type and says the event type comes from it.
use sluice::prelude::*;

#[allow(async_fn_in_trait)]
pub trait NoteSender {
    async fn note_added(&self, ctx: &SendContext, note: &String) -> Result<(), EffectError>;
}

#[derive(Default)]
pub struct Notes;

#[sender(name = "notes")]
impl NoteSender for Notes {
    async fn note_added(&self, ctx: &SendContext, note: &String) -> Result<(), EffectError> {
        let _ = (ctx, note);
        Ok(())
    }
}

fn main() {}
