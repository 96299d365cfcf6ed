// The same option twice: the error is on the second key.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", timeout = "30 seconds", timeout = "1 minute")]
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
