//! How incident events reach `IncidentWorkflow`: the first event creates the incident's
//! instance (its id derived from the incident id, so a duplicate create is harmless), every
//! later one is sent to it as an event.

use crate::model::{event_type, IncidentMessage, IncidentState};
use crate::{workflow_instance_id, WORKFLOW_EVENT_TYPE};
use incidentd_runtime::outbox::{ForwardError, Forwarder, OutboxRow};
use incidentd_runtime::workflow::WorkflowClient;
use incidentd_runtime::BoxFuture;

pub struct IncidentForwarder<'a> {
    workflows: &'a dyn WorkflowClient,
    instance_id: String,
}

impl<'a> IncidentForwarder<'a> {
    pub fn new(workflows: &'a dyn WorkflowClient, incident_id: &str) -> Self {
        Self {
            workflows,
            instance_id: workflow_instance_id(incident_id),
        }
    }
}

/// Builds the forwarded message from the row's own snapshot (state as of the event).
pub fn message_for(row: &OutboxRow) -> Result<IncidentMessage, String> {
    let snapshot = row
        .snapshot
        .clone()
        .ok_or_else(|| format!("event {} has no snapshot", row.event_id))?;
    let incident: IncidentState = serde_json::from_value(snapshot)
        .map_err(|e| format!("event {} snapshot: {e}", row.event_id))?;
    Ok(IncidentMessage {
        incident_id: incident.id.clone(),
        event_id: row.event_id,
        event_type: row.event_type.clone(),
        data: row.data.clone(),
        at: row.created_at,
        incident,
    })
}

impl Forwarder for IncidentForwarder<'_> {
    fn forward<'b>(&'b self, row: &'b OutboxRow) -> BoxFuture<'b, Result<(), ForwardError>> {
        Box::pin(async move {
            let message = message_for(row).map_err(ForwardError)?;
            let payload =
                serde_json::to_value(&message).map_err(|e| ForwardError(e.to_string()))?;
            let sent = if row.event_type == event_type::INCIDENT_CREATED {
                self.workflows
                    .create(&self.instance_id, &payload)
                    .await
                    .map(drop)
            } else {
                self.workflows
                    .send_event(&self.instance_id, WORKFLOW_EVENT_TYPE, &payload)
                    .await
            };
            sent.map_err(|e| ForwardError(e.0))
        })
    }
}
