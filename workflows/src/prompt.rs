//! `IncidentPromptWorkflow`: answers a prompt addressed to the incident agent. Minimal for now:
//! it validates its input and records receipt in one step; the AI call arrives with the AI
//! adapter.

use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::StepConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PromptRequest {
    pub incident_id: String,
    pub prompt: String,
    pub user_id: String,
    pub ts: String,
}

pub async fn run(run: WorkflowRun) -> Result<Value, WorkflowError> {
    let request: PromptRequest = crate::payload(&run)?;
    let name = format!(
        "agent-prompt.received:{}:{}",
        request.incident_id, request.ts
    );
    let receipt = serde_json::json!({ "incident_id": request.incident_id, "ts": request.ts, "prompt_chars": request.prompt.chars().count() });
    Ok(run
        .step
        .run(&name, &StepConfig::default(), move || {
            let receipt = receipt.clone();
            async move { Ok(receipt) }
        })
        .await?)
}
