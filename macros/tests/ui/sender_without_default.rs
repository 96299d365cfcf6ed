// A sender type without `Default`: the runtime builds one per delivery. The error is on the
// impl's self type and says what to add.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice::prelude::*;

pub struct Webhook {
    pub url: String,
}

#[sender(name = "webhook")]
impl IncidentSender for Webhook {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        let _ = (ctx, event, &self.url);
        Ok(())
    }
}

fn main() {}
