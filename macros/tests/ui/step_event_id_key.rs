// `{event_id}` in a standalone #[step] key: steps have no event, so it is rejected on the literal.
use sluice_macros::step;
use sluice::typed_step::StepContext;
use sluice::EffectError;

pub struct Input {
    pub order_id: String,
}

pub struct Output {
    pub key: String,
}

#[step(name = "webhook.post", idempotency_key = "{order_id}:{event_id}")]
pub async fn post(ctx: StepContext, input: Input) -> Result<Output, EffectError> {
    let _ = input.order_id;
    Ok(Output {
        key: ctx.idempotency_key,
    })
}

fn main() {}
