//! The post-incident review asked of the model: its request (rendered from the prompt files
//! and the incident's record) and the strict schema its answer must fit.

use super::record::{optional, timeline};
use super::template::render;
use incidentd_core::IncidentView;
use incidentd_llm::{ChatMessage, ChatRequest, ResponseSchema};
use incidentd_wire::analysis::IncidentMetrics;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const INSTRUCTIONS: &str = include_str!("../../prompts/postmortem.md");
const RECORD: &str = include_str!("../../prompts/postmortem-record.md");

/// The schema in OpenAI's strict subset: every object closed, every property required,
/// optional values as a null union.
pub fn schema() -> Value {
    let text = json!({ "type": "string" });
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["summary", "timeline", "root_cause", "impact", "action_items"],
        "properties": {
            "summary": text,
            "timeline": { "type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["at", "event"],
                "properties": { "at": text, "event": text } } },
            "root_cause": text,
            "impact": text,
            "action_items": { "type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["title", "owner"],
                "properties": { "title": text, "owner": { "type": ["string", "null"] } } } }
        }
    })
}

/// The request for `view`'s review.
pub fn request(view: &IncidentView, metrics: &IncidentMetrics) -> Result<ChatRequest, String> {
    let incident = &view.incident;
    let values = BTreeMap::from([
        ("title", incident.title.clone()),
        ("severity", incident.severity.as_str().to_owned()),
        ("status", incident.status.as_str().to_owned()),
        ("created_by", incident.created_by.clone()),
        ("source", incident.source.as_str().to_owned()),
        ("prompt", incident.prompt.clone()),
        (
            "metrics",
            format!(
                "first human response {}; mitigated {}; resolved {}; {} status changes; {} messages",
                optional(metrics.time_to_first_human_response_ms),
                optional(metrics.time_to_mitigate_ms),
                optional(metrics.time_to_resolve_ms),
                metrics.status_changes,
                metrics.messages
            ),
        ),
        ("timeline", timeline(view, usize::MAX)),
    ]);
    Ok(ChatRequest {
        messages: vec![
            ChatMessage::System(INSTRUCTIONS.trim_end().to_owned()),
            ChatMessage::User(render(RECORD, &values)?.trim_end().to_owned()),
        ],
        response_schema: Some(ResponseSchema {
            name: "postmortem".into(),
            schema: schema(),
        }),
        max_output_tokens: Some(1_500),
        temperature: Some(0.2),
        ..ChatRequest::default()
    })
}
