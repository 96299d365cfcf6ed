// The removed `event` option of a handler's #[step]: the event type comes from the parameter
// type, so a misspelt or mismatched `event = ".."` can no longer silently never run.
use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice::prelude::*;

#[derive(Default)]
pub struct Webhook;

#[sender(name = "webhook")]
impl IncidentSender for Webhook {
    #[step(event = "INCIDENT_CRATED", retries(limit = 5))]
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
