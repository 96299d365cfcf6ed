// A step whose input is not `Clone`: each attempt needs its own copy. The error is on the
// input type in the signature.
use sluice::prelude::*;

pub struct Input {
    pub id: String,
}

#[step(name = "load", idempotency_key = "{id}")]
async fn load(ctx: StepContext, input: Input) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(input.id)
}

fn main() {}
