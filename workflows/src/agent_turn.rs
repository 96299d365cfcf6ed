//! `IncidentAgentTurnWorkflow`: one debounced agent turn over a range of events. Minimal until
//! the AI adapter lands: it validates its input and records the turn in one step.

use incidentd_runtime::typed_step::StepContext;
use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::EffectError;
use incidentd_runtime::{step, workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentTurn {
    pub incident_id: String,
    pub from_event_id: i64,
    pub to_event_id: i64,
}

#[step(
    name = "agent-turn.received",
    idempotency_key = "{incident_id}:{to_event_id}"
)]
async fn record_turn(ctx: StepContext, turn: AgentTurn) -> Result<Value, EffectError> {
    Ok(json!({ "key": ctx.idempotency_key, "events": turn.to_event_id - turn.from_event_id + 1 }))
}

#[workflow(
    class = "IncidentAgentTurnWorkflow",
    binding = "INCIDENT_AGENT_WORKFLOW",
    name = "incident-agent-turn-workflow",
    retries(limit = 3, delay = "5 seconds"),
    steps = [record_turn]
)]
pub async fn incident_agent_turn_workflow(
    run: WorkflowRun,
    turn: AgentTurn,
) -> Result<Value, WorkflowError> {
    Ok(RECORD_TURN.call(&run, turn).await?)
}
