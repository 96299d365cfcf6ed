//! `IncidentPromptWorkflow`: answers one prompt addressed to the incident agent
//! (`POST /dashboard/incidents/:id/prompts`, recorded as a `PROMPT_ADDED` event).
//!
//! The `agent` dispatcher starts it from the event, with an instance id derived from the
//! incident and the event, so a redelivered event starts nothing twice. The workflow reads the
//! incident's current record through the typed handle, asks the model with the tools allowed
//! now (`crate::ai::tools`: status, severity, opening and updating the status-page incident)
//! and the guidance of the incident's services (`crate::ai::guidance`), applies each tool call
//! in order through the same handle (actor `agent`, so the same validation as the API; a
//! refused call becomes an explanation, never a failure), and records its reply as an agent
//! message. Without a model, or over the tenant's daily token budget
//! (`crate::ai::budget`), it says so in the timeline.

use crate::ai::budget::{self, Unavailable};
use crate::ai::{agent, guidance, tools};
use incidentd_core::model::Actor;
use incidentd_core::{
    Command, Conflict, DomainError, Idempotency, IncidentCallError, IncidentEvent, IncidentSender,
    IncidentServices, IncidentView, PromptAdded,
};
use incidentd_llm::LanguageModel;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::prelude::*;

/// The class the attribute below registers.
pub const CLASS: &str = "IncidentPromptWorkflow";

/// The user id the agent's own messages carry.
pub const AGENT_USER: &str = "incident-agent";

/// The reply to a prompt when no language model is configured.
pub const NO_MODEL_REPLY: &str =
    "No language model is configured for this incidentd, so the agent cannot answer prompts.";
/// How the reply starts when the model failed for good (the error follows).
pub const FAILED_REPLY: &str = "The agent could not answer";

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromptRequest {
    pub incident_id: String,
    pub tenant_id: String,
    pub prompt: String,
    pub prompt_id: String,
    pub user_id: String,
}

/// What the model answered, as the workflow keeps it (a step result).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Answer {
    text: Option<String>,
    calls: Vec<(String, Value)>,
}

/// The prompt with the record it is asked against.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Question {
    incident_id: String,
    prompt_id: String,
    request: PromptRequest,
    view: IncidentView,
}

/// One tool call to apply.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Call {
    incident_id: String,
    tenant_id: String,
    prompt_id: String,
    index: usize,
    name: String,
    arguments: Value,
}

/// The agent's reply.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Reply {
    incident_id: String,
    tenant_id: String,
    prompt_id: String,
    text: String,
}

/// The incident was closed (or closed and archived) before the agent could answer: a prompt
/// asked just before the close. The run ends quietly and says so in its output; it is not a
/// failure to retry.
fn closed_meanwhile(e: &IncidentCallError) -> bool {
    matches!(
        e,
        IncidentCallError::Domain(
            DomainError::NotFound
                | DomainError::Conflict {
                    code: Conflict::IncidentClosed,
                    ..
                }
        )
    )
}

/// The output of a run whose incident closed before the agent answered.
fn unanswered(request: &PromptRequest) -> Value {
    json!({
        "incident_id": request.incident_id,
        "prompt_id": request.prompt_id,
        "answered": false,
        "reason": "the incident was closed before the agent answered",
    })
}

/// The incident's record, or `None` once it was closed and archived.
#[step(name = "prompt.context", idempotency_key = "{incident_id}:{prompt_id}")]
async fn context(
    ctx: StepContext,
    request: PromptRequest,
) -> Result<Option<IncidentView>, EffectError> {
    let handle = ctx
        .services
        .incident(&request.incident_id, &request.tenant_id)?;
    match handle.agent_context().await {
        Ok(view) => Ok(Some(view)),
        Err(e) if closed_meanwhile(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[step(
    name = "prompt.ask",
    idempotency_key = "{incident_id}:{prompt_id}",
    retries(limit = 3, delay = "5 seconds", backoff = "exponential"),
    timeout = "2 minutes"
)]
async fn ask(ctx: StepContext, question: Question) -> Result<Option<Answer>, EffectError> {
    let Question { request, view, .. } = question;
    let model = match budget::tenant_model(ctx.services.as_ref(), &request.tenant_id).await? {
        Ok(model) => model,
        Err(Unavailable::NoModel) => return Ok(None),
        // AI off or today's budget spent: the reply says so.
        Err(off) => {
            return Ok(Some(Answer {
                text: Some(format!("The agent cannot answer now: {off}.")),
                calls: Vec::new(),
            }))
        }
    };
    let guides =
        guidance::for_incident(ctx.services.as_ref(), &view.incident, &request.prompt).await;
    let chat = agent::request(&view, &request.prompt, &request.user_id, &guides)
        .map_err(EffectError::non_retryable)?;
    let answer = model.complete(&chat).await?;
    Ok(Some(Answer {
        text: answer.content,
        calls: answer
            .tool_calls
            .into_iter()
            .map(|c| (c.name, c.arguments))
            .collect(),
    }))
}

#[step(
    name = "prompt.apply",
    idempotency_key = "{incident_id}:{prompt_id}:{index}"
)]
async fn apply(ctx: StepContext, call: Call) -> Result<String, EffectError> {
    let command = match tools::command(&call.name, &call.arguments, AGENT_USER) {
        Ok(command) => command,
        Err(why) => return Ok(format!("I could not use {}: {why}.", call.name)),
    };
    let outcome = ctx
        .services
        .incident(&call.incident_id, &call.tenant_id)?
        .apply(
            Actor::agent(),
            command,
            Idempotency::Key(ctx.idempotency_key.clone()),
        )
        .await;
    match outcome {
        Ok(applied) if applied.event_id.is_some() => Ok(format!("Done: {}.", describe(&call))),
        Ok(_) => Ok(format!("Nothing to change: {}.", describe(&call))),
        // The object's refusal is the answer, not a failure of the workflow.
        Err(IncidentCallError::Domain(e))
            if !matches!(e, incidentd_core::DomainError::Storage(_)) =>
        {
            Ok(format!("I could not {}: {e}.", describe(&call)))
        }
        Err(e) => Err(e.into()),
    }
}

fn describe(call: &Call) -> String {
    match call.name.as_str() {
        tools::UPDATE_STATUS => format!(
            "set the status to {}",
            call.arguments["status"].as_str().unwrap_or("?")
        ),
        tools::UPDATE_SEVERITY => format!(
            "set the severity to {}",
            call.arguments["severity"].as_str().unwrap_or("?")
        ),
        tools::OPEN_STATUS_PAGE_INCIDENT => format!(
            "open the status-page incident \"{}\"",
            call.arguments["title"].as_str().unwrap_or("?").trim()
        ),
        tools::ADD_STATUS_PAGE_UPDATE => "post the status-page update".to_owned(),
        other => format!("use {other}"),
    }
}

/// Records the reply; `false` when the incident was closed meanwhile (it takes no more).
#[step(name = "prompt.reply", idempotency_key = "{incident_id}:{prompt_id}")]
async fn reply(ctx: StepContext, reply: Reply) -> Result<bool, EffectError> {
    let recorded = ctx
        .services
        .incident(&reply.incident_id, &reply.tenant_id)?
        .apply(
            Actor::agent(),
            Command::AddMessage {
                message: reply.text,
                message_id: format!("agent:{}", reply.prompt_id),
                user_id: AGENT_USER.into(),
            },
            Idempotency::Key(ctx.idempotency_key.clone()),
        )
        .await;
    match recorded {
        Ok(_) => Ok(true),
        Err(e) if closed_meanwhile(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[workflow(
    class = "IncidentPromptWorkflow",
    binding = "INCIDENT_PROMPT_WORKFLOW",
    name = "incident-prompt-workflow",
    retries(limit = 3, delay = "2 seconds"),
    steps = [context, ask, apply, reply]
)]
pub async fn incident_prompt_workflow(
    run: WorkflowRun,
    request: PromptRequest,
) -> Result<Value, WorkflowError> {
    let Some(view) = CONTEXT.call(&run, request.clone()).await? else {
        return Ok(unanswered(&request));
    };
    let question = Question {
        incident_id: request.incident_id.clone(),
        prompt_id: request.prompt_id.clone(),
        request: request.clone(),
        view,
    };
    let answer = match ASK.call(&run, question).await {
        Ok(Some(answer)) => answer,
        Ok(None) => Answer {
            text: Some(NO_MODEL_REPLY.into()),
            calls: Vec::new(),
        },
        Err(e) => Answer {
            text: Some(format!("{FAILED_REPLY}: {e}")),
            calls: Vec::new(),
        },
    };
    let mut lines: Vec<String> = answer
        .text
        .iter()
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .collect();
    for (index, (name, arguments)) in answer.calls.iter().enumerate() {
        let call = Call {
            incident_id: request.incident_id.clone(),
            tenant_id: request.tenant_id.clone(),
            prompt_id: request.prompt_id.clone(),
            index,
            name: name.clone(),
            arguments: arguments.clone(),
        };
        lines.push(APPLY.call(&run, call).await?);
    }
    if lines.is_empty() {
        lines.push("(no answer)".into());
    }
    let text = lines.join("\n");
    let recorded = REPLY
        .call(
            &run,
            Reply {
                incident_id: request.incident_id.clone(),
                tenant_id: request.tenant_id.clone(),
                prompt_id: request.prompt_id.clone(),
                text,
            },
        )
        .await?;
    if !recorded {
        return Ok(unanswered(&request));
    }
    Ok(
        json!({ "incident_id": request.incident_id, "prompt_id": request.prompt_id, "tool_calls": answer.calls.len() }),
    )
}

/// Starts `IncidentPromptWorkflow` for each prompt: a cross-cutting effect of the incident's
/// events, hence a dispatcher.
#[derive(Default)]
pub struct AgentPrompts;

#[dispatcher(
    name = "agent",
    retries(
        limit = 10,
        delay = "2 seconds",
        backoff = "exponential",
        max_delay = "2 minutes"
    ),
    timeout = "30 seconds"
)]
impl IncidentSender for AgentPrompts {
    async fn prompt_added(
        &self,
        ctx: &SendContext,
        event: &IncidentEvent<PromptAdded>,
    ) -> Result<(), EffectError> {
        let workflows = ctx
            .services
            .workflow_of_class(CLASS)
            .map_err(|e| EffectError::non_retryable(e.message))?;
        let request = PromptRequest {
            incident_id: event.incident_id.clone(),
            tenant_id: event.incident.tenant_id.clone(),
            prompt: event.prompt.clone(),
            prompt_id: event.prompt_id.clone(),
            user_id: event.user_id.clone(),
        };
        let params = serde_json::to_value(&request)
            .map_err(|e| EffectError::non_retryable(e.to_string()))?;
        // The instance id is the idempotency key: a redelivered event finds it created.
        workflows
            .create(
                &format!("prompt-{}-{}", event.incident_id, event.event_id),
                &params,
            )
            .await
            .map_err(|e| EffectError::retryable(e.message))?;
        Ok(())
    }
}
