//! `IncidentWorkflow`: one long-lived instance per incident (generation). It fans out the
//! event it was created with, then waits for each next event the outbox sends, until the
//! incident reaches a terminal status. A wait that times out ends the run quietly: the outbox
//! knows the timeout and sends later events to a new generation, so none is lost.

use incidentd_core::{IncidentMessage, INCIDENT_WORKFLOW, WORKFLOW_EVENT_TYPE};
use incidentd_runtime::fanout::{self, Event};
use incidentd_runtime::workflow;
use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::{Duration, StepError};
use serde_json::{json, Value};

pub const CLASS: &str = INCIDENT_WORKFLOW;

/// How long the instance waits for the next event (the outbox rolls over before it lapses).
pub const WAIT_TIMEOUT: Duration =
    Duration::from_millis(incidentd_core::forward::WAIT_TIMEOUT_MS as u64);

#[workflow(
    class = "IncidentWorkflow",
    binding = "INCIDENT_WORKFLOW",
    name = "incident-workflow",
    fans_out = true
)]
pub async fn incident_workflow(
    run: WorkflowRun,
    first: IncidentMessage,
) -> Result<Value, WorkflowError> {
    let mut message = first;
    let mut last_handled = 0;
    let mut handled = 0u32;
    let mut waits = 0u32;
    loop {
        // At-least-once forwarding may deliver an event twice; its effects ran already.
        if message.event_id > last_handled {
            let subject = format!("incident={}", message.incident_id);
            let payload =
                serde_json::to_value(&message).map_err(|e| WorkflowError(e.to_string()))?;
            let event = Event {
                subject: &subject,
                event_type: &message.event_type,
                event_id: message.event_id,
                message: payload,
            };
            fanout::dispatch(&run, event).await;
            last_handled = message.event_id;
            handled += 1;
        }
        if message.is_terminal() {
            break;
        }
        waits += 1;
        let name = format!("wait-for-event:{waits}");
        match run
            .step
            .wait_for(&name, WORKFLOW_EVENT_TYPE, WAIT_TIMEOUT)
            .await
        {
            Ok(next) => message = next,
            // Idle past the timeout: end quietly; the outbox sends later events to a new
            // generation.
            Err(StepError::TimedOut) => return Ok(summary(&message, handled, last_handled, true)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(summary(&message, handled, last_handled, false))
}

fn summary(message: &IncidentMessage, handled: u32, last_handled: i64, idle: bool) -> Value {
    json!({ "incident_id": message.incident_id, "events_handled": handled, "last_event_id": last_handled, "idle": idle })
}
