//! The OpenAI-compatible client against the fake LLM server on 127.0.0.1: request shape,
//! structured answers, tool calls, and every failure mapped onto retry semantics.

use serde_json::json;
use sluice::llm::openai::{LlmConfig, OpenAiCompatible};
use sluice::llm::{ChatMessage, ChatRequest, LanguageModel, LlmError, ResponseSchema, Tool};
use sluice::native::{FakeLlm, FakeReply, NativeHttp};
use sluice::{Duration, EffectError};
use std::rc::Rc;

fn client(fake: &FakeLlm, timeout: Duration) -> OpenAiCompatible {
    let mut config = LlmConfig::new(&fake.base_url(), "test-model", "sk-test-secret");
    config.timeout = timeout;
    OpenAiCompatible::new(config, Rc::new(NativeHttp))
}

fn triage_request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::System("You triage incidents.".into()),
            ChatMessage::User("checkout is failing".into()),
        ],
        response_schema: Some(ResponseSchema {
            name: "triage".into(),
            schema: json!({
                "type": "object",
                "properties": { "severity": { "type": "string", "enum": ["low", "medium", "high"] } },
                "required": ["severity"],
                "additionalProperties": false
            }),
        }),
        max_output_tokens: Some(200),
        temperature: Some(0.0),
        ..ChatRequest::default()
    }
}

fn complete(
    client: &OpenAiCompatible,
    request: &ChatRequest,
) -> Result<sluice::llm::ChatResponse, LlmError> {
    pollster::block_on(client.complete(request))
}

#[test]
fn a_structured_answer_is_parsed_and_the_request_is_strict() {
    let fake = FakeLlm::start(vec![FakeReply::Json(json!({ "severity": "high" }))]);
    let answer = complete(&client(&fake, Duration::from_secs(5)), &triage_request()).unwrap();
    #[derive(serde::Deserialize)]
    struct Triage {
        severity: String,
    }
    assert_eq!(answer.structured::<Triage>().unwrap().severity, "high");
    assert_eq!(answer.usage.total_tokens, 120);
    let sent = &fake.requests()[0];
    assert_eq!(sent["model"], "test-model");
    assert_eq!(
        sent["messages"][0],
        json!({ "role": "system", "content": "You triage incidents." })
    );
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    assert_eq!(sent["max_completion_tokens"], 200);
    assert_eq!(sent["temperature"], 0.0);
    assert!(
        sent.get("max_tokens").is_none(),
        "never the deprecated field"
    );
    let raw = &fake.raw_requests()[0];
    assert_eq!(raw.path, "/v1/chat/completions");
    assert_eq!(raw.header("authorization"), Some("Bearer sk-test-secret"));
}

#[test]
fn tool_calls_come_back_with_parsed_arguments() {
    let fake = FakeLlm::start(vec![FakeReply::ToolCalls(vec![(
        "update_status".into(),
        json!({ "status": "mitigating", "message": "rolled back" }),
    )])]);
    let request = ChatRequest {
        messages: vec![ChatMessage::User("we rolled back".into())],
        tools: vec![Tool {
            name: "update_status".into(),
            description: "Change the incident's status".into(),
            parameters: json!({ "type": "object", "properties": {}, "additionalProperties": false }),
        }],
        ..ChatRequest::default()
    };
    let answer = complete(&client(&fake, Duration::from_secs(5)), &request).unwrap();
    assert_eq!(answer.tool_calls.len(), 1);
    assert_eq!(answer.tool_calls[0].name, "update_status");
    assert_eq!(answer.tool_calls[0].arguments["status"], "mitigating");
    let sent = &fake.requests()[0];
    assert_eq!(sent["tools"][0]["function"]["strict"], true);
    assert_eq!(sent["parallel_tool_calls"], false);
}

#[test]
fn failures_map_onto_retry_semantics() {
    let fake = FakeLlm::start(vec![
        FakeReply::RateLimited {
            retry_after_secs: 2,
        },
        FakeReply::Status {
            status: 503,
            kind: "server_is_overloaded".into(),
        },
        FakeReply::Status {
            status: 429,
            kind: "insufficient_quota".into(),
        },
        FakeReply::Status {
            status: 400,
            kind: "invalid_request_error".into(),
        },
        FakeReply::Malformed,
        FakeReply::Refusal("I can't help with that".into()),
        FakeReply::Json(json!({ "severity": 7 })),
    ]);
    let client = client(&fake, Duration::from_secs(5));
    let request = triage_request();
    let mut outcomes = Vec::new();
    for _ in 0..7 {
        outcomes.push(complete(&client, &request));
    }
    assert_eq!(
        outcomes[0],
        Err(LlmError::retryable(
            "HTTP 429 (rate_limit_exceeded)",
            Some(Duration::from_secs(2))
        ))
    );
    assert!(matches!(
        outcomes[1],
        Err(LlmError::Retryable {
            retry_after: None,
            ..
        })
    ));
    assert!(
        matches!(outcomes[2], Err(LlmError::Invalid { .. })),
        "quota: not retried"
    );
    assert!(matches!(outcomes[3], Err(LlmError::Invalid { .. })));
    assert!(
        matches!(outcomes[4], Err(LlmError::Invalid { .. })),
        "malformed reply"
    );
    assert!(
        matches!(outcomes[5], Err(LlmError::Invalid { .. })),
        "refusal"
    );
    // Valid JSON that breaks the schema is caught when read as the expected type.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Triage {
        severity: String,
    }
    let off_schema = outcomes[6].as_ref().unwrap().structured::<Triage>();
    assert!(matches!(off_schema, Err(LlmError::Invalid { .. })));
    // As step errors: the rate limit carries its wait, the refusal stops the step.
    let limited = EffectError::from(outcomes[0].clone().unwrap_err());
    assert!(limited.is_retryable());
    assert_eq!(limited.retry_after, Some(Duration::from_secs(2)));
    assert!(!EffectError::from(outcomes[5].clone().unwrap_err()).is_retryable());
}

#[test]
fn a_slow_server_times_out_as_a_retryable_error() {
    let fake = FakeLlm::start(vec![FakeReply::slow(1_500, FakeReply::Text("late".into()))]);
    let outcome = complete(
        &client(&fake, Duration::from_millis(300)),
        &triage_request(),
    );
    assert!(
        matches!(outcome, Err(LlmError::Retryable { .. })),
        "{outcome:?}"
    );
}

#[test]
fn an_exhausted_script_answers_500_not_a_made_up_answer() {
    let fake = FakeLlm::start(Vec::new());
    let outcome = complete(&client(&fake, Duration::from_secs(5)), &triage_request());
    assert!(matches!(outcome, Err(LlmError::Retryable { .. })));
}
