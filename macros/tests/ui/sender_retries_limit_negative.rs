// A negative retries limit: the same message as retry-policies.toml gives, on the value.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook", retries(limit = -1, delay = 5))]
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
