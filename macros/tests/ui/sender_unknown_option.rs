// An option no macro knows, at sender level: the error is on its key.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use incidentd_macros::sender;
use incidentd_runtime::registry::SendContext;
use incidentd_runtime::EffectError;

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
