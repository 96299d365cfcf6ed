//! The campaign's language model: the fake LLM answering every request with something valid
//! for what it asks, so all four workflow classes run their model paths. A structured request
//! (triage, postmortem) gets an instance of its own JSON schema; a conversation with tools (the
//! prompt agent, an agent turn) gets one call of an offered tool with arguments drawn from its
//! parameters, or text. 500 / 429 / timeouts are drawn within a budget below the model steps'
//! retry limits (triage, which asks twice at most, may fail for good: that is its note).

use super::faults::{FaultCounts, HttpFaults};
use crate::{schema_name, FakeLlm, FakeReply};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

/// Percent of first rounds of a conversation answered with a tool call rather than text.
const TOOL_CALL_PERCENT: u32 = 40;

pub struct Model {
    pub fake: FakeLlm,
    faults: Arc<Mutex<HttpFaults>>,
}

impl Model {
    pub fn start(seed: u64, faults: HttpFaults, counts: Arc<FaultCounts>) -> Model {
        let faults = Arc::new(Mutex::new(faults));
        let drawn = faults.clone();
        let mut rng = fastrand::Rng::with_seed(seed);
        let fake = FakeLlm::answering(move |body| {
            let valid = answer(body, &mut rng);
            let Some(fault) = drawn.lock().expect("faults lock").draw() else {
                return valid;
            };
            counts.add(&fault.kind("llm"));
            fault.llm(valid)
        });
        Model { fake, faults }
    }

    /// No more faults (the scenario's faults are cleared before it settles).
    pub fn stop_faults(&self) {
        self.faults.lock().expect("faults lock").stop();
    }
}

/// A valid answer to the request `body`.
pub fn answer(body: &Value, rng: &mut fastrand::Rng) -> FakeReply {
    if schema_name(body).is_some() {
        let schema = &body["response_format"]["json_schema"]["schema"];
        return FakeReply::Json(instance_of(schema, rng));
    }
    let tools = body["tools"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let answering_results = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .is_some_and(|m| m["role"] == "tool");
    if tools.is_empty() || answering_results || rng.u32(0..100) >= TOOL_CALL_PERCENT {
        return FakeReply::Text("Checked the timeline: nothing more to do.".into());
    }
    let function = &tools[rng.usize(0..tools.len())]["function"];
    let name = function["name"].as_str().unwrap_or_default().to_owned();
    FakeReply::ToolCalls(vec![(name, instance_of(&function["parameters"], rng))])
}

/// A value valid against `schema`, in the subset strict structured outputs use: objects with
/// every property required, arrays, strings, enums (a random member), nullable types.
pub fn instance_of(schema: &Value, rng: &mut fastrand::Rng) -> Value {
    if let Some(members) = schema["enum"].as_array().filter(|m| !m.is_empty()) {
        return members[rng.usize(0..members.len())].clone();
    }
    let kind = match &schema["type"] {
        // `["string", "null"]`: the value, never null, so optional text is exercised too.
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        other => Some(other.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let object: Map<String, Value> = properties
                .iter()
                .map(|(name, property)| (name.clone(), instance_of(property, rng)))
                .collect();
            Value::Object(object)
        }
        Some("array") => {
            let items = rng.usize(1..=2);
            Value::Array(
                (0..items)
                    .map(|_| instance_of(&schema["items"], rng))
                    .collect(),
            )
        }
        Some("integer") => json!(rng.u32(0..100)),
        Some("number") => json!(f64::from(rng.u32(0..100)) / 4.0),
        Some("boolean") => json!(rng.bool()),
        Some("null") => Value::Null,
        _ => json!(format!("campaign answer {}", rng.u32(0..1_000))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_wire::analysis::Postmortem;
    use incidentd_workflows::ai::postmortem;
    use incidentd_workflows::ai::triage::{self, TriageAnswer};

    #[test]
    fn instances_of_the_project_schemas_decode_as_their_types() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            let review = instance_of(&postmortem::schema(), &mut rng);
            serde_json::from_value::<Postmortem>(review.clone()).expect("a postmortem");
            let triaged = instance_of(&triage::schema(&[]), &mut rng);
            let answer: TriageAnswer = serde_json::from_value(triaged.clone()).expect("triage");
            assert_eq!(
                answer.entry_point, None,
                "the only member of the enum: {triaged}"
            );
        }
    }

    #[test]
    fn a_conversation_answering_tool_results_gets_text() {
        let mut rng = fastrand::Rng::with_seed(1);
        let body = json!({
            "tools": [{ "type": "function", "function": { "name": "update_severity",
                "parameters": { "type": "object", "properties": {
                    "severity": { "type": "string", "enum": ["high"] } } } } }],
            "messages": [{ "role": "user", "content": "?" }, { "role": "tool", "content": "ok" }]
        });
        for _ in 0..20 {
            assert!(matches!(answer(&body, &mut rng), FakeReply::Text(_)));
        }
        let first_round = json!({ "tools": body["tools"], "messages": [body["messages"][0]] });
        let calls: Vec<FakeReply> = (0..50).map(|_| answer(&first_round, &mut rng)).collect();
        let called = calls.iter().find_map(|reply| match reply {
            FakeReply::ToolCalls(calls) => Some(calls[0].clone()),
            _ => None,
        });
        assert_eq!(
            called,
            Some(("update_severity".into(), json!({ "severity": "high" })))
        );
    }
}
