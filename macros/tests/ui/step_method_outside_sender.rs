// #[step] on a handler method whose impl lacks #[sender]: the error is on the receiver and
// tells to annotate the impl.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice_macros::step;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

impl IncidentSender for Webhook {
    #[step(
        retries(limit = 5),
        idempotency_key = "{incident_id}:{event_id}:webhook"
    )]
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
