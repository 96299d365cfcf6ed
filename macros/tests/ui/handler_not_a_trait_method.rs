// A handler whose name is not a method of the trait (a typo of `incident_created`): the error
// is on the method's name.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl IncidentSender for Webhook {
    async fn incident_crated(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event);
        Ok(())
    }
}

fn main() {}
