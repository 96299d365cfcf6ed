// A backoff that does not exist: the error is on the literal.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", retries(limit = 3, backoff = "random"))]
impl IncidentSender for Webhook {
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
