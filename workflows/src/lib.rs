//! The four incidentd workflows. Each registers itself with the runtime; the generated JS
//! entry exports one Cloudflare Workflow class per registration.
//!
//! Data flow: the Incident Durable Object's outbox → [`incident`] (`IncidentWorkflow`) →
//! [`fanout`] → the senders registered by `incidentd-adapters`.

pub mod agent_turn;
pub mod analysis;
pub mod fanout;
pub mod incident;
pub mod prompt;

// The adapters register their senders; linking them here makes every registration visible
// wherever the workflows are (the worker, the manifest binary, tests).
pub use incidentd_adapters as adapters;

use incidentd_runtime::registry::WorkflowDef;

/// Referring to this from the final binary keeps this crate, and so its registrations, in the
/// link (see `incidentd::LINK_WORKFLOWS`). Never inlined: an inlined copy would satisfy the
/// reference without pulling in this crate's object, and its constructors with it.
#[inline(never)]
pub fn link() {}
use incidentd_runtime::workflow::WorkflowError;
use serde::de::DeserializeOwned;

/// Decodes a workflow's input; a payload of the wrong shape is a bug upstream, not a retry.
pub(crate) fn payload<T: DeserializeOwned>(
    run: &incidentd_runtime::workflow::WorkflowRun,
) -> Result<T, WorkflowError> {
    serde_json::from_value(run.payload.clone())
        .map_err(|e| WorkflowError(format!("invalid workflow payload: {e}")))
}

incidentd_runtime::__private::inventory::submit! {
    WorkflowDef {
        class_name: "IncidentWorkflow",
        binding: "INCIDENT_WORKFLOW",
        name: "incident-workflow",
        run: |run| Box::pin(incident::run(run)),
    }
}

incidentd_runtime::__private::inventory::submit! {
    WorkflowDef {
        class_name: "IncidentPromptWorkflow",
        binding: "INCIDENT_PROMPT_WORKFLOW",
        name: "incident-prompt-workflow",
        run: |run| Box::pin(prompt::run(run)),
    }
}

incidentd_runtime::__private::inventory::submit! {
    WorkflowDef {
        class_name: "IncidentAgentTurnWorkflow",
        binding: "INCIDENT_AGENT_WORKFLOW",
        name: "incident-agent-turn-workflow",
        run: |run| Box::pin(agent_turn::run(run)),
    }
}

incidentd_runtime::__private::inventory::submit! {
    WorkflowDef {
        class_name: "IncidentAnalysisWorkflow",
        binding: "INCIDENT_ANALYSIS_WORKFLOW",
        name: "incident-analysis-workflow",
        run: |run| Box::pin(analysis::run(run)),
    }
}
