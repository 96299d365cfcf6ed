//! Triage at declaration: before `IncidentWorkflow` fans `INCIDENT_CREATED` out, one bounded
//! chat completion proposes the entry point to page, the severity, a title and a description;
//! the proposal is applied as ordinary changes by actor `triage`, only to fields nobody changed
//! since the declaration, and the first notification carries the triaged state.
//!
//! The declaration itself never waits for this: it committed with the tenant's fallback entry
//! point. Without a model, over budget, on a timeout, on an answer that breaks its schema or
//! names an entry point the tenant does not have, the fallback stands and the timeline gets
//! one note saying why. Every step is keyed by the incident, so a replayed run asks once.

use super::budget;
use super::guidance::{self, ServiceGuide};
use super::template::{self, render};
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_adapters::http::tenant::tenant_config;
use incidentd_core::decide::{title_from_prompt, MAX_PROMPT_CHARS};
use incidentd_core::model::{event_type, ActorKind, EntryPoint, IncidentMessage, IncidentState};
use incidentd_core::{
    Actor, Command, DetailsUpdated, Idempotency, IncidentCreated, IncidentServices, IncidentView,
    Severity, TriageProposal,
};
use incidentd_llm::{ChatMessage, ChatRequest, LanguageModel, ResponseSchema};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::prelude::*;
use std::collections::BTreeMap;

const INSTRUCTIONS: &str = include_str!("../../prompts/triage.md");
const RECORD: &str = include_str!("../../prompts/triage-record.md");

/// The schema's name (`response_format.json_schema.name`).
pub const SCHEMA_NAME: &str = "incident_triage";

/// The bound on what triage adds before the first notification. Each call may take
/// [`CALL_TIMEOUT`] (less when `LLM_TIMEOUT_SECONDS` is lower); a call that failed in a way
/// retrying can help (timeout, 5xx, rate limit) is tried once more after [`RETRY_DELAY`]:
/// 5 + 2 + 5 = 12 s of model time at worst, plus a few D1 and object round trips, so the first
/// notification leaves within about 15 s whatever the model does. A server's `Retry-After` is
/// not honoured here: the bound wins and the fallback stands.
///
/// The two attempts are two memoised steps (`triage.ask:{incident}:1` and `:2`), each
/// recording its failure as a result rather than failing: a replay of the run (the workflow is
/// re-run from the top at every later event) then replays the outcome instead of asking the
/// model again, so an incident is triaged once whatever happens later.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The wait before the second and last attempt.
pub const RETRY_DELAY: Duration = Duration::from_secs(2);
/// Attempts in all.
pub const ATTEMPTS: u32 = 2;

const SEVERITIES: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];

/// The incident as declared, and the tenant's entry points at the declaration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub incident_id: String,
    pub incident: IncidentState,
    pub entry_points: Vec<EntryPoint>,
    /// The guidance of its services, most relevant first.
    #[serde(default)]
    pub guidance: Vec<ServiceGuide>,
    /// Fields someone changed since the declaration (triage leaves them alone).
    pub touched: Touched,
    /// Triage already recorded something for this incident (a replayed `INCIDENT_CREATED`).
    pub already_triaged: bool,
    /// Closed before triage ran: nothing to page, nothing to change.
    #[serde(default)]
    pub closed: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touched {
    pub entry_point: bool,
    pub severity: bool,
    pub details: bool,
}

/// What the model answers, as the strict schema shapes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageAnswer {
    pub entry_point: Option<String>,
    pub severity: Severity,
    pub title: String,
    pub description: String,
}

/// A validated proposal: the entry point is one of the tenant's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub entry_point: Option<EntryPoint>,
    pub severity: Severity,
    pub title: String,
    pub description: String,
}

/// One attempt of `triage.ask`: a proposal, why there is none (said in the note), or a
/// failure and whether another attempt may help.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Asked {
    Proposal(Proposal),
    Declined(String),
    Failed { error: String, retryable: bool },
}

/// The input of one attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub incident_id: String,
    pub attempt: u32,
    pub context: Context,
}

/// The fields triage changed (each with its event written).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triaged {
    pub entry_point: Option<EntryPoint>,
    pub severity: Option<Severity>,
    pub details: Option<DetailsUpdated>,
}

/// The changes to apply, one per untouched field that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub incident_id: String,
    pub tenant_id: String,
    pub proposal: Proposal,
    pub changes: Vec<TriageProposal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub incident_id: String,
    pub tenant_id: String,
    pub text: String,
}

/// The strict schema of the answer: the entry point is one of the tenant's ids, or null.
pub fn schema(entry_points: &[EntryPoint]) -> Value {
    let ids: Vec<Value> = entry_points
        .iter()
        .map(|e| json!(e.id))
        .chain([Value::Null])
        .collect();
    let severities: Vec<&str> = SEVERITIES.iter().map(|s| s.as_str()).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["entry_point", "severity", "title", "description"],
        "properties": {
            "entry_point": { "type": ["string", "null"], "enum": ids },
            "severity": { "type": "string", "enum": severities },
            "title": { "type": "string" },
            "description": { "type": "string" }
        }
    })
}

/// The request for `incident`, declared with `entry_points` available and `guides` for its
/// services.
pub fn request(
    incident: &IncidentState,
    entry_points: &[EntryPoint],
    guides: &[ServiceGuide],
) -> Result<ChatRequest, String> {
    let listed = if entry_points.is_empty() {
        "none".to_owned()
    } else {
        entry_points
            .iter()
            .map(|e| {
                let fallback = if e.is_fallback { " (the fallback)" } else { "" };
                format!("- {}{fallback}: {}", e.id, e.prompt.trim())
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let values = BTreeMap::from([
        ("created_by", incident.created_by.clone()),
        ("source", incident.source.as_str().to_owned()),
        ("prompt", incident.prompt.clone()),
        ("title", incident.title.clone()),
        ("severity", incident.severity.as_str().to_owned()),
        ("entry_points", listed),
        ("services", template::service_list(&incident.services)),
        ("guidance", guidance::render(guides)),
    ]);
    Ok(ChatRequest {
        messages: vec![
            ChatMessage::System(INSTRUCTIONS.trim_end().to_owned()),
            ChatMessage::User(render(RECORD, &values)?.trim_end().to_owned()),
        ],
        response_schema: Some(ResponseSchema {
            name: SCHEMA_NAME.into(),
            schema: schema(entry_points),
        }),
        max_output_tokens: Some(400),
        temperature: Some(0.0),
        ..ChatRequest::default()
    })
}

/// Checks the answer against the tenant: an entry point it does not have means the answer is
/// not trusted at all. Titles are cut as declared ones are.
pub fn validate(answer: TriageAnswer, entry_points: &[EntryPoint]) -> Result<Proposal, String> {
    let entry_point = match answer.entry_point {
        None => None,
        Some(id) => Some(
            entry_points
                .iter()
                .find(|e| e.id == id)
                .cloned()
                .ok_or_else(|| {
                    format!("the model chose entry point {id:?}, which this tenant does not have")
                })?,
        ),
    };
    let title = answer.title.trim();
    let description = answer.description.trim();
    if title.is_empty() || description.is_empty() {
        return Err("the model's title or description is empty".into());
    }
    Ok(Proposal {
        entry_point,
        severity: answer.severity,
        title: title_from_prompt(title),
        description: description.chars().take(MAX_PROMPT_CHARS).collect(),
    })
}

/// Fields changed since the declaration by anyone but triage, and whether triage already
/// recorded something (a note or a change).
pub fn inspect(view: &IncidentView) -> (Touched, bool) {
    let mut touched = Touched::default();
    let mut already = false;
    for entry in &view.timeline {
        let by_triage = entry
            .actor
            .as_ref()
            .is_some_and(|a| a.kind == ActorKind::Triage);
        if by_triage {
            already = true;
            continue;
        }
        match entry.event_type.as_str() {
            event_type::ASSIGNEE_UPDATE => touched.entry_point = true,
            event_type::SEVERITY_UPDATE => touched.severity = true,
            t if t == DetailsUpdated::EVENT_TYPE => touched.details = true,
            _ => {}
        }
    }
    (touched, already)
}

/// The changes `proposal` asks for on fields nobody touched, each carrying the declared value
/// so the Incident object refuses it if someone changes the field before it lands.
pub fn changes(
    declared: &IncidentState,
    touched: Touched,
    proposal: &Proposal,
) -> Vec<TriageProposal> {
    let mut changes = Vec::new();
    if let Some(entry_point) = proposal
        .entry_point
        .as_ref()
        .filter(|_| !touched.entry_point)
    {
        if declared.entry_point_id.as_deref() != Some(entry_point.id.as_str()) {
            changes.push(TriageProposal::EntryPoint {
                entry_point_id: entry_point.id.clone(),
                assignee: entry_point.assignee.clone(),
                declared_entry_point_id: declared.entry_point_id.clone(),
                declared_assignee: declared.assignee.clone(),
            });
        }
    }
    if !touched.severity && proposal.severity != declared.severity {
        changes.push(TriageProposal::Severity {
            severity: proposal.severity,
            declared: declared.severity,
        });
    }
    let same_details =
        proposal.title == declared.title && proposal.description == declared.description;
    if !touched.details && !same_details {
        changes.push(TriageProposal::Details {
            title: proposal.title.clone(),
            description: proposal.description.clone(),
            declared_title: declared.title.clone(),
            declared_description: declared.description.clone(),
        });
    }
    changes
}

/// The `INCIDENT_CREATED` message as the senders get it: the triaged fields in its state and
/// its data, so the first notification already pages the right people.
pub fn overlay(mut message: IncidentMessage, triaged: &Triaged) -> IncidentMessage {
    let incident = &mut message.incident;
    if let Some(entry_point) = &triaged.entry_point {
        incident.entry_point_id = Some(entry_point.id.clone());
        incident.assignee = Some(entry_point.assignee.clone());
    }
    if let Some(severity) = triaged.severity {
        incident.severity = severity;
    }
    if let Some(details) = &triaged.details {
        incident.title = details.title.clone();
        incident.description = details.description.clone();
    }
    if let Ok(mut created) = sluice::json::from_value::<IncidentCreated>(&message.data) {
        created.assignee = incident.assignee.clone();
        created.severity = incident.severity;
        created.title = incident.title.clone();
        created.description = incident.description.clone();
        if let Ok(data) = serde_json::to_value(created) {
            // The stored data carries the declarer beside the payload: keep every other key.
            if let (Value::Object(into), Value::Object(from)) = (&mut message.data, data) {
                into.extend(from);
            }
        }
    }
    message
}

#[step(
    name = "triage.context",
    idempotency_key = "{incident_id}",
    retries(limit = 2, delay = "500 milliseconds", backoff = "constant"),
    timeout = "5 seconds"
)]
pub async fn context(ctx: StepContext, declared: Context) -> Result<Context, EffectError> {
    let incident = &declared.incident;
    let view = ctx
        .services
        .incident(&declared.incident_id, &incident.tenant_id)?
        .agent_context()
        .await?;
    let (touched, already_triaged) = inspect(&view);
    let db = ctx
        .services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::retryable(e.message))?;
    // Resolved at the declaration: a rotation pages whoever was on call then.
    let (entry_points, _) = tenant_config(db.as_ref(), &incident.tenant_id, incident.created_at)
        .await
        .map_err(|e| EffectError::retryable(format!("tenant configuration: {}", e.message)))?
        .resolve(incident.created_at);
    // Optional help: unreadable, it is left out (and logged), the triage goes on.
    let guidance = match guidance::load(db.as_ref(), &incident.tenant_id).await {
        Ok(prompts) => guidance::relevant(incident, "", &prompts),
        Err(e) => {
            sluice::log::error(&format!(
                "triage incident={}: service guidance left out: {e}",
                declared.incident_id
            ));
            Vec::new()
        }
    };
    Ok(Context {
        entry_points,
        guidance,
        touched,
        already_triaged,
        closed: view.incident.status.is_terminal(),
        ..declared
    })
}

#[step(
    name = "triage.ask",
    idempotency_key = "{incident_id}:{attempt}",
    retries(limit = 0, delay = "1 second", backoff = "constant"),
    timeout = "6 seconds"
)]
pub async fn ask(ctx: StepContext, attempt: Attempt) -> Result<Asked, EffectError> {
    let asked = match ask_once(&ctx, &attempt.context).await {
        Ok(asked) => asked,
        Err(e) => Asked::Failed {
            retryable: e.is_retryable(),
            error: e.message,
        },
    };
    // What happened, never the incident's content (the model port logs tokens and latency).
    let outcome = match &asked {
        Asked::Proposal(_) => "proposal",
        Asked::Declined(_) => "declined",
        Asked::Failed { .. } => "failed",
    };
    sluice::log::info(&format!(
        "triage incident={} attempt={} outcome={outcome}",
        attempt.incident_id, attempt.attempt
    ));
    Ok(asked)
}

async fn ask_once(ctx: &StepContext, context: &Context) -> Result<Asked, EffectError> {
    let tenant = &context.incident.tenant_id;
    let model = match budget::tenant_model(ctx.services.as_ref(), tenant).await? {
        Ok(model) => model.with_timeout_at_most(CALL_TIMEOUT),
        Err(off) => return Ok(Asked::Declined(off.to_string())),
    };
    let chat = request(&context.incident, &context.entry_points, &context.guidance)
        .map_err(EffectError::non_retryable)?;
    let answer: TriageAnswer = model.complete(&chat).await?.structured()?;
    Ok(match validate(answer, &context.entry_points) {
        Ok(proposal) => Asked::Proposal(proposal),
        Err(why) => Asked::Declined(format!("the model's answer was rejected: {why}")),
    })
}

/// Asks up to [`ATTEMPTS`] times, [`RETRY_DELAY`] apart while a retry may help.
async fn ask_bounded(run: &WorkflowRun, context: &Context) -> Result<Asked, StepError> {
    let mut attempt = 1;
    loop {
        let input = Attempt {
            incident_id: context.incident_id.clone(),
            attempt,
            context: context.clone(),
        };
        let asked = ASK.call(run, input).await?;
        match asked {
            Asked::Failed {
                retryable: true, ..
            } if attempt < ATTEMPTS => {
                let name = format!("triage.retry:{}:{attempt}", context.incident_id);
                run.step.sleep(&name, RETRY_DELAY).await?;
                attempt += 1;
            }
            other => return Ok(other),
        }
    }
}

#[step(
    name = "triage.apply",
    idempotency_key = "{incident_id}",
    retries(limit = 3, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds"
)]
pub async fn apply(ctx: StepContext, plan: Plan) -> Result<Triaged, EffectError> {
    let handle = ctx.services.incident(&plan.incident_id, &plan.tenant_id)?;
    let mut triaged = Triaged::default();
    for change in plan.changes {
        // One key per field: a retried step gets each change's first outcome back.
        let key = format!("triage:{}:{}", plan.incident_id, field_name(&change));
        let applied = handle
            .apply(
                Actor::triage(),
                Command::Triage {
                    proposal: change.clone(),
                },
                Idempotency::Key(key),
            )
            .await?;
        if applied.event_id.is_none() {
            continue; // someone changed the field meanwhile: theirs stands
        }
        match change {
            TriageProposal::EntryPoint { .. } => {
                triaged.entry_point = plan.proposal.entry_point.clone();
            }
            TriageProposal::Severity { severity, .. } => triaged.severity = Some(severity),
            TriageProposal::Details {
                title, description, ..
            } => triaged.details = Some(DetailsUpdated { title, description }),
        }
    }
    Ok(triaged)
}

fn field_name(change: &TriageProposal) -> &'static str {
    match change {
        TriageProposal::EntryPoint { .. } => "entry_point",
        TriageProposal::Severity { .. } => "severity",
        TriageProposal::Details { .. } => "details",
    }
}

#[step(
    name = "triage.note",
    idempotency_key = "{incident_id}",
    retries(limit = 3, delay = "1 second", backoff = "exponential"),
    timeout = "10 seconds"
)]
pub async fn note(ctx: StepContext, note: Note) -> Result<(), EffectError> {
    ctx.services
        .incident(&note.incident_id, &note.tenant_id)?
        .apply(
            Actor::triage(),
            Command::TriageNote { message: note.text },
            // The same key in every workflow generation: one note per incident.
            Idempotency::Key(format!("triage:{}:note", note.incident_id)),
        )
        .await?;
    Ok(())
}

/// The note for an incident triage could not help, by actor `triage`.
fn note_text(why: &str) -> String {
    format!("Triage did not change this incident: {why}. The fallback entry point stands.")
}

/// Triages the incident `created` declares and returns that message as the senders should get
/// it. Never fails the workflow: whatever goes wrong leaves the fallback (and says why).
pub async fn triage(run: &WorkflowRun, created: IncidentMessage) -> IncidentMessage {
    let declared = Context {
        incident_id: created.incident_id.clone(),
        incident: created.incident.clone(),
        entry_points: Vec::new(),
        guidance: Vec::new(),
        touched: Touched::default(),
        already_triaged: false,
        closed: false,
    };
    let outcome = match CONTEXT.call(run, declared).await {
        Err(e) => Err(format!(
            "the incident or its tenant could not be read ({e})"
        )),
        // An earlier run triaged it (its changes follow as events), or it is closed already.
        Ok(context) if context.already_triaged || context.closed => return created,
        Ok(context) => match ask_bounded(run, &context).await {
            Err(e) => Err(format!("the model did not answer usably ({e})")),
            Ok(Asked::Failed { error, .. }) => {
                Err(format!("the model did not answer usably ({error})"))
            }
            Ok(Asked::Declined(why)) => Err(why),
            Ok(Asked::Proposal(proposal)) => {
                let plan = Plan {
                    incident_id: created.incident_id.clone(),
                    tenant_id: created.incident.tenant_id.clone(),
                    changes: changes(&context.incident, context.touched, &proposal),
                    proposal,
                };
                APPLY
                    .call(run, plan)
                    .await
                    .map_err(|e| format!("its proposal could not be applied ({e})"))
            }
        },
    };
    match outcome {
        Ok(triaged) => overlay(created, &triaged),
        Err(why) => {
            let note = Note {
                incident_id: created.incident_id.clone(),
                tenant_id: created.incident.tenant_id.clone(),
                text: note_text(&why),
            };
            if let Err(e) = NOTE.call(run, note).await {
                sluice::log::error(&format!(
                    "triage incident={}: the note was not recorded: {e}",
                    created.incident_id
                ));
            }
            created
        }
    }
}
