// A workflow payload that cannot be decoded from the instance's params: the error is on the
// payload type in the signature.
use sluice::prelude::*;
use serde_json::Value;

pub struct Request {
    pub id: String,
}

#[workflow(class = "RequestWorkflow", binding = "REQUEST_WORKFLOW", name = "request-workflow")]
pub async fn request_workflow(run: WorkflowRun, request: Request) -> Result<Value, WorkflowError> {
    let _ = (run, request.id);
    Ok(Value::Null)
}

fn main() {}
