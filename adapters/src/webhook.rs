//! The webhook sender: posts every incident event it handles as JSON to the URL in the
//! `WEBHOOK_URL` variable, with an `Idempotency-Key` header so the receiver can drop
//! redeliveries. When the receiver answers with `{"reference": ".."}` (a ticket number, say),
//! the reference is recorded on the incident as metadata `webhook_reference`, through the
//! typed incident handle. Without `WEBHOOK_URL` it does nothing. The worked example of
//! docs/adding-a-sender.md: this file plus `pub mod webhook;` in lib.rs is all it took.

use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender, IncidentServices};
use serde_json::json;
use sluice::prelude::*;
use std::collections::BTreeMap;

/// The variable holding the receiver's URL.
pub const URL_VAR: &str = "WEBHOOK_URL";
/// The incident metadata key of the receiver's reference.
pub const REFERENCE_KEY: &str = "webhook_reference";

#[derive(Default)]
pub struct Webhook;

#[sender(
    name = "webhook",
    requires_var = "WEBHOOK_URL",
    retries(
        limit = 12,
        delay = "5 seconds",
        backoff = "exponential",
        max_delay = "5 minutes"
    ),
    timeout = "30 seconds",
    idempotency_key = "{incident_id}:{event_id}:webhook"
)]
impl IncidentSender for Webhook {
    async fn incident_created(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        let Some(url) = ctx.services.var(URL_VAR) else {
            return Ok(());
        };
        let body = json!({
            "type": IncidentCreated::EVENT_TYPE,
            "incident_id": event.incident_id,
            "event_id": event.event_id,
            "title": event.title,
            "severity": event.severity,
            "incident": event.incident,
        });
        let request =
            HttpRequest::post_json(&url, &body).header("idempotency-key", &ctx.idempotency_key);
        let response = ctx
            .services
            .http()
            .send(request)
            .await?
            .error_for_status("webhook")?;
        let answer: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
        if let Some(reference) = answer["reference"].as_str() {
            let entries = BTreeMap::from([(REFERENCE_KEY.to_owned(), reference.to_owned())]);
            ctx.services
                .incident(&event.incident_id, &event.incident.tenant_id)?
                .merge_metadata(entries)
                .await?;
        }
        Ok(())
    }
}
