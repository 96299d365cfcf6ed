//! `IncidentAnalysisWorkflow`: post-resolution analysis. Minimal for now: it validates its
//! input and records receipt in one step; the postmortem arrives with the AI adapter.

use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::StepConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnalysisRequest {
    pub incident_id: String,
    pub tenant_id: String,
}

pub async fn run(run: WorkflowRun) -> Result<Value, WorkflowError> {
    let request: AnalysisRequest = crate::payload(&run)?;
    let name = format!("analysis.received:{}", request.incident_id);
    let receipt = serde_json::to_value(&request).map_err(|e| WorkflowError(e.to_string()))?;
    Ok(run
        .step
        .run(&name, &StepConfig::default(), move || {
            let receipt = receipt.clone();
            async move { Ok(receipt) }
        })
        .await?)
}
