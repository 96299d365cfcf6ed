//! `IncidentAnalysisWorkflow`: after an incident is closed and archived, measure it
//! (deterministically, from its timeline) and ask the model for a blameless review under a
//! strict schema, then store both in D1 (`incident_analysis`, `incident_action`), where
//! `GET /dashboard/incidents/:id/analysis` serves them. Without a model (no `LLM_API_KEY`, AI
//! off, or the tenant's daily token budget spent: `crate::ai::budget`), or
//! when the model keeps failing, the measures alone are stored and `note` says why: the
//! workflow still succeeds. It reads the incident from the archive, never from its object
//! (whose storage is gone by then).

use crate::ai::budget;
use crate::ai::metrics::metrics;
use crate::ai::postmortem;
use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_adapters::slack::outbound::analysis_post::{post_analysis, AnalysisPost};
use incidentd_adapters::slack::outbound::blocks::AnalysisDigest;
use incidentd_core::{IncidentState, IncidentView};
use incidentd_llm::LanguageModel;
use incidentd_wire::analysis::{IncidentMetrics, Postmortem};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::typed_step::StepContext;
use sluice::workflow::{WorkflowError, WorkflowRun};
use sluice::{step, workflow, EffectError};

/// The class the attribute below registers (the Incident object's alarm starts it).
pub const CLASS: &str = "IncidentAnalysisWorkflow";

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnalysisRequest {
    pub incident_id: String,
    pub tenant_id: String,
}

/// The review, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub postmortem: Option<Postmortem>,
    pub model: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    incident_id: String,
    tenant_id: String,
    view: IncidentView,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Analysis {
    incident_id: String,
    tenant_id: String,
    metrics: IncidentMetrics,
    review: Review,
    at: i64,
}

#[step(name = "analysis.load", idempotency_key = "{incident_id}")]
async fn load(ctx: StepContext, request: AnalysisRequest) -> Result<Record, EffectError> {
    let db = ctx
        .services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::retryable(e.message))?;
    let archived = archive::load(db.as_ref(), &request.tenant_id, &request.incident_id)
        .await
        .map_err(|e| EffectError::retryable(format!("archive: {e}")))?
        // The object archives before it starts this workflow: a missing record is a lag.
        .ok_or_else(|| EffectError::retryable("the incident is not archived yet"))?;
    Ok(Record {
        incident_id: request.incident_id,
        tenant_id: request.tenant_id,
        view: archived.view,
    })
}

#[step(name = "analysis.review", idempotency_key = "{incident_id}")]
async fn review(ctx: StepContext, record: Record) -> Result<Review, EffectError> {
    let model = match budget::tenant_model(ctx.services.as_ref(), &record.tenant_id).await? {
        Ok(model) => model,
        // No model, AI off or today's budget spent: the measures alone, and why.
        Err(off) => {
            return Ok(Review {
                postmortem: None,
                model: None,
                note: Some(format!("{off}: measures only")),
            })
        }
    };
    let request = postmortem::request(&record.view, &metrics(&record.view))
        .map_err(EffectError::non_retryable)?;
    let answer = model.complete(&request).await?;
    Ok(Review {
        postmortem: Some(answer.structured()?),
        model: Some(answer.model),
        note: None,
    })
}

#[step(name = "analysis.store", idempotency_key = "{incident_id}")]
async fn store(ctx: StepContext, analysis: Analysis) -> Result<(), EffectError> {
    let db = ctx
        .services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::retryable(e.message))?;
    let fail = |e: sluice::sql::SqlError| EffectError::retryable(e.message);
    let actions = analysis
        .review
        .postmortem
        .as_ref()
        .map(|p| p.action_items.clone())
        .unwrap_or_default();
    // Each write is idempotent on its own; the analysis row, written last, publishes them.
    for (position, item) in actions.iter().enumerate() {
        db.execute(
            "INSERT OR REPLACE INTO incident_action (incident_id, position, title, owner) VALUES (?, ?, ?, ?)",
            vec![
                analysis.incident_id.as_str().into(),
                (position as i64).into(),
                item.title.as_str().into(),
                item.owner.clone().into(),
            ],
        )
        .await
        .map_err(fail)?;
    }
    let metrics = serde_json::to_string(&analysis.metrics)
        .map_err(|e| EffectError::non_retryable(e.to_string()))?;
    let postmortem = analysis
        .review
        .postmortem
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| EffectError::non_retryable(e.to_string()))?;
    db.execute(
        "INSERT OR REPLACE INTO incident_analysis (incident_id, tenant_id, metrics, postmortem, note, model, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            analysis.incident_id.as_str().into(),
            analysis.tenant_id.as_str().into(),
            metrics.into(),
            postmortem.into(),
            analysis.review.note.clone().into(),
            analysis.review.model.clone().into(),
            analysis.at.into(),
        ],
    )
    .await
    .map_err(fail)
}

#[workflow(
    class = "IncidentAnalysisWorkflow",
    binding = "INCIDENT_ANALYSIS_WORKFLOW",
    name = "incident-analysis-workflow",
    retries(limit = 5, delay = "30 seconds", backoff = "exponential"),
    steps = [load, review, store, post_to_slack]
)]
pub async fn incident_analysis_workflow(
    run: WorkflowRun,
    request: AnalysisRequest,
) -> Result<Value, WorkflowError> {
    let record = LOAD.call(&run, request).await?;
    let measured = metrics(&record.view);
    // A model that keeps failing leaves the measures; the review's failure is the note.
    let review = match REVIEW.call(&run, record.clone()).await {
        Ok(review) => review,
        Err(e) => Review {
            postmortem: None,
            model: None,
            note: Some(format!("the review failed: {e}")),
        },
    };
    let with_review = review.postmortem.is_some();
    let analysis = Analysis {
        incident_id: record.incident_id.clone(),
        tenant_id: record.tenant_id,
        metrics: measured,
        review,
        // The close, not the clock: deterministic across replays.
        at: record.view.incident.updated_at,
    };
    let digest = digest(&analysis);
    STORE.call(&run, analysis).await?;
    // Telling the channel is a courtesy: the analysis is stored whatever Slack does.
    let posted = POST_TO_SLACK
        .call(
            &run,
            SlackAnalysis {
                incident_id: record.incident_id.clone(),
                incident: record.view.incident,
                digest,
            },
        )
        .await;
    let slack = match posted {
        Ok(outcome) => outcome,
        Err(e) => format!("failed: {e}"),
    };
    Ok(json!({ "incident_id": record.incident_id, "postmortem": with_review, "slack": slack }))
}

/// The analysis as its Slack message shows it.
fn digest(analysis: &Analysis) -> AnalysisDigest {
    let minutes = |ms: Option<i64>| {
        ms.map_or_else(
            || "n/a".to_owned(),
            |ms| format!("{} min", ms.max(0) / 60_000),
        )
    };
    let m = &analysis.metrics;
    let postmortem = analysis.review.postmortem.as_ref();
    AnalysisDigest {
        measures: vec![
            (
                "Time to first response".into(),
                minutes(m.time_to_first_human_response_ms),
            ),
            ("Time to mitigate".into(), minutes(m.time_to_mitigate_ms)),
            ("Time to resolve".into(), minutes(m.time_to_resolve_ms)),
            ("Status changes".into(), m.status_changes.to_string()),
        ],
        summary: postmortem.map(|p| p.summary.clone()),
        root_cause: postmortem.map(|p| p.root_cause.clone()),
        action_items: postmortem
            .map(|p| {
                p.action_items
                    .iter()
                    .map(|i| match &i.owner {
                        Some(owner) => format!("{} ({owner})", i.title),
                        None => i.title.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        note: analysis.review.note.clone(),
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SlackAnalysis {
    incident_id: String,
    incident: IncidentState,
    digest: AnalysisDigest,
}

#[step(
    name = "analysis.slack",
    idempotency_key = "{incident_id}",
    retries(limit = 5, delay = "10 seconds", backoff = "exponential"),
    timeout = "1 minute"
)]
async fn post_to_slack(ctx: StepContext, post: SlackAnalysis) -> Result<String, EffectError> {
    // Every attempt after the first may follow a post whose answer was lost.
    let may_exist = true;
    let outcome = post_analysis(
        ctx.services.as_ref(),
        &post.incident,
        &post.digest,
        may_exist,
    )
    .await?;
    Ok(match outcome {
        AnalysisPost::Posted { ts } => format!("posted {ts}"),
        AnalysisPost::NoChannel => "no channel".to_owned(),
        AnalysisPost::ChannelClosed { code } => format!("not posted: {code}"),
    })
}
