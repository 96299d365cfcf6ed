// A step whose output cannot be recorded: the error is on the output type in the signature.
use sluice::prelude::*;

#[derive(Clone, serde::Deserialize)]
pub struct Input {
    pub id: String,
}

pub struct Summary {
    pub lines: usize,
}

#[step(name = "summarise", idempotency_key = "{id}")]
async fn summarise(ctx: StepContext, input: Input) -> Result<Summary, EffectError> {
    let _ = (ctx, input);
    Ok(Summary { lines: 0 })
}

fn main() {}
