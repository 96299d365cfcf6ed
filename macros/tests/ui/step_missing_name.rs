// A standalone #[step] without `name`: the error is on the function name.
use sluice_macros::step;
use sluice::typed_step::StepContext;
use sluice::EffectError;

pub struct Input {
    pub order_id: String,
}

pub struct Output {
    pub key: String,
}

#[step(idempotency_key = "{order_id}")]
pub async fn post(ctx: StepContext, input: Input) -> Result<Output, EffectError> {
    let _ = input.order_id;
    Ok(Output {
        key: ctx.idempotency_key,
    })
}

fn main() {}
