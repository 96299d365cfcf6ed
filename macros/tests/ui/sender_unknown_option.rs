// An option no macro knows, at sender level: the error is on its key.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", priority = "high")]
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
