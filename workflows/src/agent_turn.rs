//! `IncidentAgentTurnWorkflow`: one debounced agent turn over a range of events. Minimal for
//! now: it validates its input and records the turn in one step.

use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::StepConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgentTurn {
    pub incident_id: String,
    pub from_event_id: i64,
    pub to_event_id: i64,
}

pub async fn run(run: WorkflowRun) -> Result<Value, WorkflowError> {
    let turn: AgentTurn = crate::payload(&run)?;
    let name = format!(
        "agent-turn.received:{}:{}",
        turn.incident_id, turn.to_event_id
    );
    let receipt = serde_json::to_value(&turn).map_err(|e| WorkflowError(e.to_string()))?;
    Ok(run
        .step
        .run(&name, &StepConfig::default(), move || {
            let receipt = receipt.clone();
            async move { Ok(receipt) }
        })
        .await?)
}
