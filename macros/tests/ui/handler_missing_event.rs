// A handler that forgot its event argument: the error is on the argument list.
use incidentd_core::IncidentSender;
use sluice_macros::sender;
use sluice::registry::SendContext;
use sluice::EffectError;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl IncidentSender for Webhook {
    async fn incident_created(&self, ctx: &SendContext) -> Result<(), EffectError> {
        let _ = ctx;
        Ok(())
    }
}

fn main() {}
