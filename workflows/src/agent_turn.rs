//! `IncidentAgentTurnWorkflow`: one debounced agent turn over the events since the previous
//! turn. The Incident object's alarm starts it once people have gone quiet
//! (`core::object::debounce`), with a deterministic instance id.
//!
//! The turn reads the incident through the typed handle, then runs a bounded suggestion loop:
//! at most [`MAX_CALLS`] model calls and [`MAX_SUGGESTIONS`] suggestions, each tool offered
//! until it is used once. Every tool call is normalised (no-ops, invalid transitions and repeats
//! of earlier suggestions are dropped, and the model is told why), and what remains is stored
//! as `SUGGESTION_ADDED` events, one durable step each. Finally it reports its end to the
//! object, so the next turn may start. Without a model it ends at once (the object does not
//! start turns then anyway).

use crate::ai::suggestions::{self, Draft, Exchange, MAX_CALLS, MAX_SUGGESTIONS};
use crate::ai::{budget, guidance};
use incidentd_core::model::Actor;
use incidentd_core::{
    Command, DomainError, Idempotency, IncidentCallError, IncidentServices, IncidentView,
    SuggestionAdded,
};
use incidentd_llm::{ChatRequest, ChatResponse, LanguageModel};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::log;
use sluice::prelude::*;
use sluice::workflow::Services;
use std::collections::BTreeSet;

pub use incidentd_core::object::AgentTurn;

/// The class the attribute below registers (the Incident object's alarm starts it).
pub const CLASS: &str = incidentd_core::object::AGENT_TURN_WORKFLOW;

/// One model call of the loop: the turn, the record it reads, the conversation so far.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Ask {
    incident_id: String,
    to_event_id: i64,
    call: usize,
    turn: AgentTurn,
    view: IncidentView,
    conversation: Vec<Exchange>,
    used: Vec<String>,
}

/// What the model answered (a step result).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Answer {
    content: Option<String>,
    /// `(call id, tool name, arguments)`.
    calls: Vec<(String, String, Value)>,
}

/// One suggestion to store.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Store {
    incident_id: String,
    tenant_id: String,
    to_event_id: i64,
    index: usize,
    suggestion: SuggestionAdded,
}

/// The single place an agent turn calls the model (a token budget wraps it here). `None`
/// without a configured model.
async fn call_model(
    services: &dyn Services,
    tenant: &str,
    request: &ChatRequest,
) -> Result<Option<ChatResponse>, EffectError> {
    // Metered against the tenant's daily token budget; without a model or budget the turn
    // suggests nothing (suggestions are optional help, so no timeline note per turn).
    let model = match budget::tenant_model(services, tenant).await? {
        Ok(model) => model,
        Err(unavailable) => {
            log::info(&format!("agent turn: no model call: {unavailable}"));
            return Ok(None);
        }
    };
    Ok(Some(model.complete(request).await?))
}

#[step(
    name = "agent-turn.context",
    idempotency_key = "{incident_id}:{to_event_id}",
    retries(limit = 5, delay = "2 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn context(ctx: StepContext, turn: AgentTurn) -> Result<Option<IncidentView>, EffectError> {
    let handle = ctx.services.incident(&turn.incident_id, &turn.tenant_id)?;
    match handle.agent_context().await {
        Ok(view) => Ok(Some(view)),
        // Closed and finalised since the turn started: nothing to suggest to.
        Err(IncidentCallError::Domain(DomainError::NotFound)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[step(
    name = "agent-turn.ask",
    idempotency_key = "{incident_id}:{to_event_id}:{call}",
    retries(limit = 3, delay = "5 seconds", backoff = "exponential"),
    timeout = "2 minutes"
)]
async fn ask(ctx: StepContext, ask: Ask) -> Result<Option<Answer>, EffectError> {
    let guides = guidance::for_incident(ctx.services.as_ref(), &ask.view.incident, "").await;
    let request = suggestions::request(&ask.view, &ask.turn, &ask.conversation, &ask.used, &guides)
        .map_err(EffectError::non_retryable)?;
    let Some(answer) = call_model(ctx.services.as_ref(), &ask.turn.tenant_id, &request).await?
    else {
        return Ok(None);
    };
    Ok(Some(Answer {
        content: answer.content,
        calls: answer
            .tool_calls
            .into_iter()
            .map(|c| (c.id, c.name, c.arguments))
            .collect(),
    }))
}

#[step(
    name = "agent-turn.suggest",
    idempotency_key = "{incident_id}:{to_event_id}:{index}",
    retries(limit = 5, delay = "2 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn suggest(ctx: StepContext, store: Store) -> Result<Option<i64>, EffectError> {
    let outcome = ctx
        .services
        .incident(&store.incident_id, &store.tenant_id)?
        .apply(
            Actor::agent(),
            Command::AddSuggestion {
                suggestion: store.suggestion,
            },
            Idempotency::Key(ctx.idempotency_key.clone()),
        )
        .await;
    match outcome {
        Ok(applied) => Ok(applied.event_id),
        // Refused by now (the incident moved on, or closed): the suggestion is dropped.
        Err(IncidentCallError::Domain(e)) if !matches!(e, DomainError::Storage(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[step(
    name = "agent-turn.end",
    idempotency_key = "{incident_id}:{to_event_id}",
    retries(limit = 10, delay = "5 seconds", backoff = "exponential"),
    timeout = "30 seconds"
)]
async fn end(ctx: StepContext, turn: AgentTurn) -> Result<bool, EffectError> {
    let handle = ctx.services.incident(&turn.incident_id, &turn.tenant_id)?;
    match handle.agent_turn_ended(turn.to_event_id).await {
        Ok(ended) => Ok(ended),
        Err(IncidentCallError::Domain(DomainError::NotFound)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// What the loop keeps between calls.
#[derive(Default)]
struct Loop {
    conversation: Vec<Exchange>,
    used: Vec<String>,
    drafts: Vec<Draft>,
    seen: BTreeSet<String>,
    calls: usize,
    /// Why the loop stopped early (a failing model), for the output.
    note: Option<String>,
}

impl Loop {
    /// Each call of `answer`: kept when it normalises, else dropped with the reason as the
    /// tool's result. A tool is gone once called, whatever came of the call.
    fn take(&mut self, view: &IncidentView, answer: Answer) {
        let offered: Vec<String> = suggestions::tools(&view.incident, &self.used)
            .into_iter()
            .map(|t| t.name)
            .collect();
        let mut results = Vec::new();
        for (_, name, arguments) in &answer.calls {
            let result = if self.drafts.len() >= MAX_SUGGESTIONS {
                format!("not kept: at most {MAX_SUGGESTIONS} suggestions per turn")
            } else if !offered.contains(name) || self.used.contains(name) {
                format!("not kept: `{name}` is not available")
            } else {
                match suggestions::normalise(&view.incident, name, arguments, &self.seen) {
                    Ok(draft) => {
                        self.seen.insert(draft.dedupe_key.clone());
                        self.drafts.push(draft);
                        "kept: it will be shown to the team".to_owned()
                    }
                    Err(why) => format!("not kept: {why}"),
                }
            };
            if offered.contains(name) && !self.used.contains(name) {
                self.used.push(name.clone());
            }
            results.push(result);
        }
        self.conversation.push(Exchange {
            content: answer.content,
            calls: answer.calls,
            results,
        });
    }

    fn done(&self, view: &IncidentView) -> bool {
        self.calls >= MAX_CALLS
            || self.drafts.len() >= MAX_SUGGESTIONS
            || suggestions::tools(&view.incident, &self.used).is_empty()
    }
}

#[workflow(
    class = "IncidentAgentTurnWorkflow",
    binding = "INCIDENT_AGENT_WORKFLOW",
    name = "incident-agent-turn-workflow",
    retries(limit = 3, delay = "5 seconds"),
    steps = [context, ask, suggest, end]
)]
pub async fn incident_agent_turn_workflow(
    run: WorkflowRun,
    turn: AgentTurn,
) -> Result<Value, WorkflowError> {
    let Some(view) = CONTEXT.call(&run, turn.clone()).await? else {
        return Ok(json!({ "to_event_id": turn.to_event_id, "note": "the incident is gone" }));
    };
    let mut state = Loop {
        seen: suggestions::earlier(&view)
            .into_iter()
            .map(|(s, _)| s.dedupe_key)
            .collect(),
        ..Loop::default()
    };
    while !state.done(&view) {
        let ask = Ask {
            incident_id: turn.incident_id.clone(),
            to_event_id: turn.to_event_id,
            call: state.calls,
            turn: turn.clone(),
            view: view.clone(),
            conversation: state.conversation.clone(),
            used: state.used.clone(),
        };
        state.calls += 1;
        let answer = match ASK.call(&run, ask).await {
            Ok(Some(answer)) if !answer.calls.is_empty() => answer,
            // Nothing (more) to suggest, or no model.
            Ok(_) => break,
            // A model that keeps failing ends the loop; what was kept is still stored.
            Err(e) => {
                state.note = Some(format!("the model failed: {e}"));
                break;
            }
        };
        state.take(&view, answer);
    }
    let mut stored = Vec::new();
    for (index, draft) in state.drafts.iter().enumerate() {
        let suggestion = SuggestionAdded {
            suggestion_id: format!("t{}-{}", turn.to_event_id, index + 1),
            dedupe_key: draft.dedupe_key.clone(),
            change: draft.change.clone(),
            rationale: draft.rationale.clone(),
            from_event_id: turn.from_event_id,
            to_event_id: turn.to_event_id,
        };
        let store = Store {
            incident_id: turn.incident_id.clone(),
            tenant_id: turn.tenant_id.clone(),
            to_event_id: turn.to_event_id,
            index,
            suggestion,
        };
        match SUGGEST.call(&run, store).await {
            Ok(Some(event_id)) => stored.push(event_id),
            Ok(None) => {}
            // The turn still ends (and says so), so the next one is not held up.
            Err(e) => state.note = Some(format!("a suggestion was not stored: {e}")),
        }
    }
    END.call(&run, turn.clone()).await?;
    Ok(json!({
        "to_event_id": turn.to_event_id,
        "calls": state.calls,
        "suggestions": stored,
        "note": state.note,
    }))
}
