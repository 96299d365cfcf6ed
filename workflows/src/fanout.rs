//! Fan-out of one event to every registered sender that handles its type: one `step.do` per
//! sender, named `<sender>:<event id>` so the engine memoises it across replays and
//! redeliveries. Senders run concurrently; one failing never blocks another or later events,
//! and every failure is logged with the incident, the event and the sender.

use futures_util::future::join_all;
use incidentd_core::IncidentMessage;
use incidentd_runtime::registry::{self, SenderCall};
use incidentd_runtime::workflow::WorkflowRun;
use std::rc::Rc;

/// What happened to one sender for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub sender: &'static str,
    pub error: Option<String>,
}

pub async fn dispatch(
    run: &WorkflowRun,
    workflow: &str,
    message: &IncidentMessage,
) -> Vec<Delivery> {
    let payload = match serde_json::to_value(message) {
        Ok(payload) => Rc::new(payload),
        Err(e) => {
            incidentd_runtime::log::error(&format!(
                "event {} does not serialise: {e}",
                message.event_id
            ));
            return Vec::new();
        }
    };
    let deliveries = registry::senders(workflow)
        .into_iter()
        .filter(|sender| sender.events.contains(&message.event_type.as_str()))
        .map(|sender| {
            let call = SenderCall {
                event_type: message.event_type.clone(),
                event_id: message.event_id,
                message: payload.clone(),
                idempotency_key: format!(
                    "{}:{}:{}",
                    message.incident_id, message.event_id, sender.name
                ),
                services: run.services.clone(),
            };
            let step_name = format!("{}:{}", sender.name, message.event_id);
            async move {
                let outcome = run
                    .step
                    .run::<(), _, _>(&step_name, &sender.config, move || {
                        (sender.run)(call.clone())
                    })
                    .await;
                let error = outcome.err().map(|e| e.to_string());
                if let Some(error) = &error {
                    incidentd_runtime::log::error(&format!(
                        "sender failed: incident={} event={} type={} sender={} error={error}",
                        message.incident_id, message.event_id, message.event_type, sender.name
                    ));
                }
                Delivery {
                    sender: sender.name,
                    error,
                }
            }
        });
    join_all(deliveries).await
}
