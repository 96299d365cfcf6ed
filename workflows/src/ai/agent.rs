//! What the incident agent is asked when someone prompts it: the prompt files rendered with
//! the incident's current record, and the tools it may call now.

use super::guidance::ServiceGuide;
use super::record::timeline;
use super::template::{self, render};
use super::tools::tools;
use incidentd_core::IncidentView;
use incidentd_llm::{ChatMessage, ChatRequest};

const INSTRUCTIONS: &str = include_str!("../../prompts/agent.md");
const RECORD: &str = include_str!("../../prompts/agent-record.md");
/// Events of the timeline shown: enough context, a bounded prompt.
const RECENT_EVENTS: usize = 30;

/// The request for `prompt` from `user`, with the guidance of the incident's services.
pub fn request(
    view: &IncidentView,
    prompt: &str,
    user: &str,
    guides: &[ServiceGuide],
) -> Result<ChatRequest, String> {
    let incident = &view.incident;
    let mut values = template::incident_values(incident, guides);
    values.extend([
        ("timeline", timeline(view, RECENT_EVENTS)),
        ("user", user.to_owned()),
        ("prompt", prompt.to_owned()),
    ]);
    Ok(ChatRequest {
        messages: vec![
            ChatMessage::System(INSTRUCTIONS.trim_end().to_owned()),
            ChatMessage::User(render(RECORD, &values)?.trim_end().to_owned()),
        ],
        tools: tools(incident),
        max_output_tokens: Some(800),
        temperature: Some(0.2),
        ..ChatRequest::default()
    })
}
