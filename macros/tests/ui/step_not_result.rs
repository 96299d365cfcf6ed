// A #[step] function that does not return a Result: the error is on the return type.
use sluice_macros::step;
use sluice::typed_step::StepContext;

pub struct Input {
    pub order_id: String,
}

pub struct Output {
    pub key: String,
}

#[step(name = "webhook.post", idempotency_key = "{order_id}")]
pub async fn post(ctx: StepContext, input: Input) -> Output {
    let _ = input.order_id;
    Output {
        key: ctx.idempotency_key,
    }
}

fn main() {}
