//! `IncidentAnalysisWorkflow`: post-resolution analysis. Minimal until the AI adapter lands: it
//! validates its input and records receipt in one step.

use incidentd_runtime::typed_step::StepContext;
use incidentd_runtime::workflow::{WorkflowError, WorkflowRun};
use incidentd_runtime::EffectError;
use incidentd_runtime::{step, workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The class the attribute below registers (the Incident object's alarm starts it).
pub const CLASS: &str = "IncidentAnalysisWorkflow";

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnalysisRequest {
    pub incident_id: String,
    pub tenant_id: String,
}

#[step(name = "analysis.received", idempotency_key = "{incident_id}")]
async fn record_analysis(ctx: StepContext, request: AnalysisRequest) -> Result<Value, EffectError> {
    Ok(json!({ "key": ctx.idempotency_key, "tenant_id": request.tenant_id }))
}

#[workflow(
    class = "IncidentAnalysisWorkflow",
    binding = "INCIDENT_ANALYSIS_WORKFLOW",
    name = "incident-analysis-workflow",
    retries(limit = 5, delay = "30 seconds", backoff = "exponential"),
    steps = [record_analysis]
)]
pub async fn incident_analysis_workflow(
    run: WorkflowRun,
    request: AnalysisRequest,
) -> Result<Value, WorkflowError> {
    Ok(RECORD_ANALYSIS.call(&run, request).await?)
}
