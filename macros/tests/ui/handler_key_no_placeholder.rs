// An idempotency key without a placeholder would be shared by every delivery.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl IncidentSender for Webhook {
    #[step(idempotency_key = "webhook")]
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
