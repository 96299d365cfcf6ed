//! OpenAI's published chat-completions contract (`contracts/openai/chat-completions.json`) as
//! the judge of both sides: each rule the fake LLM enforces is broken once here with a raw
//! request and must be refused (or recorded) as the API does; the client's bodies for a chat
//! model, a reasoning model and a server that only reads `max_tokens` must pass it; and the
//! client's own knowledge (reasoning families, effort values) must agree with the table.

use serde_json::{json, Value};
use sluice::http::{HttpClient, HttpRequest, HttpResponse};
use sluice::llm::openai::{
    is_reasoning_model, LlmConfig, MaxTokensField, OpenAiCompatible, Reasoning,
    DEFAULT_REASONING_TOKENS, REASONING_EFFORTS, REASONING_MODEL_PREFIXES,
};
use sluice::llm::{
    ChatMessage, ChatRequest, LanguageModel, LlmError, ResponseSchema, Tool, ToolCall,
};
use sluice::native::{
    check_chat_request, openai_chat_contract, FakeLlm, FakeReply, NativeHttp, NativeServices,
    Strictness, Violation,
};
use std::collections::BTreeSet;
use std::rc::Rc;

const KEY: &str = "sk-contract-test";

fn post(fake: &FakeLlm, body: &Value) -> HttpResponse {
    let request = HttpRequest::post_json(&format!("{}/chat/completions", fake.base_url()), body)
        .header("authorization", &format!("Bearer {KEY}"));
    send(request)
}

fn send(request: HttpRequest) -> HttpResponse {
    pollster::block_on(NativeHttp.send(request)).expect("the fake answers")
}

fn error_of(response: &HttpResponse) -> Value {
    serde_json::from_slice::<Value>(&response.body).expect("a JSON error")["error"].clone()
}

fn hello(model: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": "hello" }] })
}

/// `hello(model)` with `field` set to `value`.
fn hello_with(model: &str, field: &str, value: Value) -> Value {
    let mut body = hello(model);
    body[field] = value;
    body
}

/// The one breach `fake` recorded, taken.
fn only_violation(fake: &FakeLlm) -> Violation {
    let mut taken = fake.take_violations();
    assert_eq!(taken.len(), 1, "{taken:#?}");
    taken.remove(0)
}

fn table() -> &'static Value {
    openai_chat_contract()
}

// ---- the fake enforces each rule ----------------------------------------------------------

#[test]
fn max_tokens_to_a_reasoning_model_is_refused_with_its_param() {
    let fake = FakeLlm::start(vec![FakeReply::Text("hi".into())]);
    let refused = post(&fake, &hello_with("o3-mini", "max_tokens", json!(400)));
    assert_eq!(refused.status, 400);
    let error = error_of(&refused);
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["param"], "max_tokens");
    assert_eq!(error["code"], "unsupported_parameter");
    assert_eq!(
        error["message"],
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    );
    let recorded = fake.take_violations();
    let rules: Vec<&str> = recorded.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["deprecated", "unsupported_parameter"],
        "{recorded:#?}"
    );
    // The refusal did not use the script: a valid request gets the scripted answer.
    let answered = post(
        &fake,
        &hello_with("o3-mini", "max_completion_tokens", json!(5_000)),
    );
    assert_eq!(answered.status, 200);
    let reply: Value = serde_json::from_slice(&answered.body).unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], "hi");
}

#[test]
fn a_non_default_temperature_to_a_reasoning_model_is_refused_and_the_default_accepted() {
    let fake = FakeLlm::start(vec![FakeReply::Text("ok".into())]);
    let refused = post(&fake, &hello_with("gpt-5-mini", "temperature", json!(0.2)));
    assert_eq!(refused.status, 400);
    let error = error_of(&refused);
    assert_eq!(error["param"], "temperature");
    assert_eq!(error["code"], "unsupported_value");
    assert_eq!(
        error["message"],
        "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported."
    );
    assert_eq!(only_violation(&fake).path.as_deref(), Some("temperature"));
    let default = post(&fake, &hello_with("gpt-5-mini", "temperature", json!(1)));
    assert_eq!(default.status, 200);
    // The same temperature to a chat model is fine.
    let chat = FakeLlm::start(vec![FakeReply::Text("ok".into())]);
    assert_eq!(
        post(&chat, &hello_with("gpt-4o-mini", "temperature", json!(0.2))).status,
        200
    );
}

#[test]
fn parallel_tool_calls_to_an_o_series_model_is_refused_even_false() {
    let fake = FakeLlm::start(Vec::new());
    let refused = post(
        &fake,
        &hello_with("o4-mini", "parallel_tool_calls", json!(false)),
    );
    assert_eq!(refused.status, 400);
    assert_eq!(error_of(&refused)["param"], "parallel_tool_calls");
    assert_eq!(only_violation(&fake).rule, "unsupported_parameter");
}

#[test]
fn an_unknown_field_is_refused() {
    let fake = FakeLlm::start(Vec::new());
    let refused = post(
        &fake,
        &hello_with("gpt-4o-mini", "max_output_tokens", json!(5)),
    );
    assert_eq!(refused.status, 400);
    let error = error_of(&refused);
    assert_eq!(
        error["message"],
        "Unrecognized request argument supplied: max_output_tokens"
    );
    assert_eq!(error["param"], Value::Null);
    let breach = only_violation(&fake);
    assert_eq!(breach.rule, "unknown_parameter");
    assert_eq!(breach.path.as_deref(), Some("max_output_tokens"));
}

#[test]
fn a_missing_required_field_is_refused() {
    let fake = FakeLlm::start(Vec::new());
    let refused = post(&fake, &json!({ "model": "gpt-4o-mini" }));
    assert_eq!(refused.status, 400);
    let error = error_of(&refused);
    assert_eq!(error["code"], "missing_required_parameter");
    assert_eq!(error["param"], "messages");
    assert_eq!(only_violation(&fake).rule, "missing_required");
    // Inside a message too: a tool message without its call id.
    let nested = json!({ "model": "gpt-4o-mini", "messages": [
        { "role": "user", "content": "hi" },
        { "role": "assistant", "content": null, "tool_calls": [
            { "id": "call_1", "type": "function", "function": { "name": "f", "arguments": "{}" } }] },
        { "role": "tool", "content": "done" }] });
    let refused = post(&fake, &nested);
    assert_eq!(error_of(&refused)["param"], "messages[2].tool_call_id");
    let rules: BTreeSet<String> = fake.take_violations().into_iter().map(|v| v.rule).collect();
    assert!(rules.contains("missing_required"), "{rules:?}");
}

#[test]
fn a_wrong_type_is_refused() {
    let fake = FakeLlm::start(Vec::new());
    let refused = post(
        &fake,
        &hello_with("gpt-4o-mini", "max_completion_tokens", json!("400")),
    );
    assert_eq!(refused.status, 400);
    let error = error_of(&refused);
    assert_eq!(error["code"], "invalid_type");
    assert_eq!(error["param"], "max_completion_tokens");
    assert_eq!(
        error["message"],
        "Invalid type for 'max_completion_tokens': expected an integer, but got a string instead."
    );
    assert_eq!(only_violation(&fake).rule, "invalid_type");
}

#[test]
fn a_value_out_of_its_range_or_enum_is_refused() {
    let fake = FakeLlm::start(Vec::new());
    let hot = post(&fake, &hello_with("gpt-4o-mini", "temperature", json!(3)));
    assert_eq!(hot.status, 400);
    assert_eq!(error_of(&hot)["param"], "temperature");
    assert_eq!(only_violation(&fake).rule, "out_of_range");
    let bot = json!({ "model": "gpt-4o-mini", "messages": [{ "role": "bot", "content": "hi" }] });
    let refused = post(&fake, &bot);
    let error = error_of(&refused);
    assert_eq!(error["param"], "messages[0].role");
    assert_eq!(error["code"], "invalid_value");
    assert!(
        error["message"].as_str().unwrap().contains("'developer'"),
        "{error}"
    );
    assert_eq!(only_violation(&fake).rule, "invalid_value");
    let empty = post(&fake, &json!({ "model": "gpt-4o-mini", "messages": [] }));
    assert_eq!(error_of(&empty)["param"], "messages");
    assert_eq!(only_violation(&fake).rule, "out_of_range");
}

#[test]
fn an_unknown_key_inside_a_message_is_refused() {
    let fake = FakeLlm::start(Vec::new());
    let body = json!({ "model": "gpt-4o-mini",
                       "messages": [{ "role": "user", "content": "hi", "id": "m1" }] });
    let refused = post(&fake, &body);
    assert_eq!(refused.status, 400);
    assert_eq!(
        error_of(&refused)["message"],
        "Additional properties are not allowed ('id' was unexpected) - 'messages[0]'"
    );
    assert_eq!(
        only_violation(&fake).path.as_deref(),
        Some("messages[0].id")
    );
}

#[test]
fn a_deprecated_field_is_answered_but_recorded_with_its_replacement() {
    let fake = FakeLlm::start(vec![FakeReply::Text("ok".into())]);
    let answered = post(&fake, &hello_with("gpt-4o-mini", "max_tokens", json!(100)));
    assert_eq!(answered.status, 200, "a chat model still reads it");
    let breach = only_violation(&fake);
    assert_eq!(breach.rule, "deprecated");
    assert_eq!(breach.status, None);
    assert!(
        breach.message.contains("'max_completion_tokens'"),
        "{}",
        breach.message
    );
}

#[test]
fn tool_messages_must_answer_the_calls_before_them() {
    let fake = FakeLlm::start(Vec::new());
    let call = json!({ "id": "call_1", "type": "function",
                       "function": { "name": "f", "arguments": "{}" } });
    let stray = json!({ "model": "gpt-4o-mini", "messages": [
        { "role": "user", "content": "hi" },
        { "role": "tool", "tool_call_id": "call_1", "content": "done" }] });
    let refused = post(&fake, &stray);
    assert_eq!(refused.status, 400);
    assert_eq!(error_of(&refused)["param"], "messages.[1].role");
    assert_eq!(only_violation(&fake).rule, "tool_without_call");
    let unanswered = json!({ "model": "gpt-4o-mini", "messages": [
        { "role": "user", "content": "hi" },
        { "role": "assistant", "content": null, "tool_calls": [call] },
        { "role": "user", "content": "well?" }] });
    let refused = post(&fake, &unanswered);
    assert_eq!(refused.status, 400);
    assert!(error_of(&refused)["message"]
        .as_str()
        .unwrap()
        .ends_with("did not have response messages: call_1"));
    assert_eq!(only_violation(&fake).rule, "unanswered_tool_calls");
}

#[test]
fn strict_mode_refuses_what_any_reasoning_model_refuses_whatever_the_id() {
    let fake = FakeLlm::builder().strict().start(Vec::new());
    let refused = post(&fake, &hello_with("gpt-4o-mini", "temperature", json!(0.2)));
    assert_eq!(refused.status, 400);
    assert_eq!(only_violation(&fake).rule, "unsupported_value");
}

#[test]
fn a_fake_serving_one_model_answers_another_id_404() {
    let fake = FakeLlm::reasoning("o3-mini").start(Vec::new());
    assert_eq!(fake.model(), "o3-mini");
    let refused = post(&fake, &hello("gpt-4o"));
    assert_eq!(refused.status, 404);
    let error = error_of(&refused);
    assert_eq!(error["code"], "model_not_found");
    assert_eq!(
        error["message"],
        "The model `gpt-4o` does not exist or you do not have access to it."
    );
    assert_eq!(only_violation(&fake).rule, "model_not_found");
}

#[test]
fn the_endpoint_wants_its_path_a_bearer_key_and_a_json_body() {
    let fake = FakeLlm::start(Vec::new());
    let url = format!("{}/chat/completions", fake.base_url());
    let wrong_path = HttpRequest::post_json(
        &format!("{}/completions", fake.base_url()),
        &hello("gpt-4o-mini"),
    )
    .header("authorization", &format!("Bearer {KEY}"));
    assert_eq!(send(wrong_path).status, 404);
    assert_eq!(only_violation(&fake).rule, "invalid_url");
    let keyless = HttpRequest::post_json(&url, &hello("gpt-4o-mini"));
    assert_eq!(send(keyless).status, 401);
    assert_eq!(only_violation(&fake).rule, "missing_api_key");
    let mut not_json =
        HttpRequest::post_json(&url, &json!({})).header("authorization", &format!("Bearer {KEY}"));
    not_json.body = b"model=gpt-4o-mini".to_vec();
    assert_eq!(send(not_json).status, 400);
    assert_eq!(only_violation(&fake).rule, "not_json");
}

#[test]
#[should_panic(expected = "breach(es) of OpenAI's contract that the test did not take")]
fn a_breach_no_test_took_fails_the_test_when_the_fake_is_dropped() {
    let fake = FakeLlm::start(Vec::new());
    post(&fake, &hello_with("o1", "max_tokens", json!(10)));
}

#[test]
fn a_reasoning_model_without_room_to_think_answers_cut_and_the_client_says_which_setting() {
    let fake = FakeLlm::reasoning("o3-mini")
        .reasoning_tokens(2_000)
        .start(vec![FakeReply::Json(json!({ "ok": true }))]);
    let mut config = LlmConfig::new(&fake.base_url(), "o3-mini", KEY);
    config.reasoning_tokens = 500;
    let client = OpenAiCompatible::new(config, Rc::new(NativeHttp));
    let outcome = pollster::block_on(client.complete(&structured_request()));
    match outcome {
        Err(LlmError::Invalid { message }) => {
            assert!(message.contains("cut at the token limit"), "{message}");
            assert!(message.contains("LLM_REASONING_TOKENS"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests()[0]["max_completion_tokens"], 400 + 500);
}

// ---- the client follows it ------------------------------------------------------------------

fn structured_request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::System("Answer in JSON.".into()),
            ChatMessage::User("is it ok?".into()),
        ],
        response_schema: Some(ResponseSchema {
            name: "verdict".into(),
            schema: json!({ "type": "object", "properties": { "ok": { "type": "boolean" } },
                            "required": ["ok"], "additionalProperties": false }),
        }),
        max_output_tokens: Some(400),
        temperature: Some(0.0),
        ..ChatRequest::default()
    }
}

/// A conversation with a tool round: the assistant's call echoed, then its result.
fn tool_request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::System("You run an incident.".into()),
            ChatMessage::User("we rolled back".into()),
            ChatMessage::Assistant {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    name: "update_status".into(),
                    arguments: json!({ "status": "mitigating" }),
                }],
            },
            ChatMessage::Tool {
                tool_call_id: "call_1".into(),
                content: "status set".into(),
            },
        ],
        tools: vec![Tool {
            name: "update_status".into(),
            description: "Change the status".into(),
            parameters: json!({ "type": "object",
                "properties": { "status": { "type": "string" } },
                "required": ["status"], "additionalProperties": false }),
        }],
        max_output_tokens: Some(800),
        temperature: Some(0.2),
        ..ChatRequest::default()
    }
}

fn client_for(config: LlmConfig) -> OpenAiCompatible {
    OpenAiCompatible::new(config, Rc::new(NativeHttp))
}

fn strict() -> Strictness<'static> {
    Strictness {
        all_families: true,
        model: None,
    }
}

#[test]
fn a_chat_model_gets_max_completion_tokens_and_its_temperature() {
    let client = client_for(LlmConfig::new("http://unused", "gpt-4o-mini", KEY));
    for request in [structured_request(), tool_request()] {
        let body = client.body(&request);
        assert_eq!(
            body["max_completion_tokens"],
            request.max_output_tokens.unwrap()
        );
        assert_eq!(body["temperature"], request.temperature.unwrap());
        assert!(body.get("max_tokens").is_none());
        assert_eq!(check_chat_request(&body, Strictness::default()), []);
    }
    assert_eq!(client.body(&tool_request())["parallel_tool_calls"], false);
}

#[test]
fn a_reasoning_model_gets_no_sampling_or_parallel_calls_and_room_to_think() {
    let mut config = LlmConfig::new("http://unused", "o3-mini", KEY);
    config.reasoning_effort = Some("low".into());
    let client = client_for(config);
    for request in [structured_request(), tool_request()] {
        let body = client.body(&request);
        for refused in ["temperature", "top_p", "max_tokens", "parallel_tool_calls"] {
            assert!(body.get(refused).is_none(), "{refused}: {body}");
        }
        assert_eq!(
            body["max_completion_tokens"],
            request.max_output_tokens.unwrap() + DEFAULT_REASONING_TOKENS
        );
        assert_eq!(body["reasoning_effort"], "low");
        // Whatever reasoning family would receive it.
        assert_eq!(check_chat_request(&body, strict()), []);
    }
    // A chat model's body would not pass as a reasoning model's.
    let chat = client_for(LlmConfig::new("http://unused", "gpt-4o-mini", KEY));
    let breaches = check_chat_request(&chat.body(&tool_request()), strict());
    let refused: BTreeSet<_> = breaches.iter().filter_map(|v| v.path.clone()).collect();
    assert_eq!(
        refused,
        BTreeSet::from(["parallel_tool_calls".to_owned(), "temperature".to_owned()])
    );
}

#[test]
fn the_client_runs_both_conversations_against_a_strict_reasoning_fake() {
    let fake = FakeLlm::reasoning("gpt-5-mini").start(vec![
        FakeReply::Json(json!({ "ok": true })),
        FakeReply::Text("status moved".into()),
    ]);
    let client = client_for(LlmConfig::new(&fake.base_url(), fake.model(), KEY));
    let verdict = pollster::block_on(client.complete(&structured_request())).unwrap();
    assert_eq!(verdict.content.as_deref(), Some("{\"ok\":true}"));
    assert_eq!(verdict.usage.reasoning_tokens, 1_024);
    let reply = pollster::block_on(client.complete(&tool_request())).unwrap();
    assert_eq!(reply.content.as_deref(), Some("status moved"));
    // The fake's drop asserts that neither request broke the contract.
}

#[test]
fn a_max_tokens_only_server_gets_max_tokens() {
    let fake = FakeLlm::start(vec![FakeReply::Text("ok".into())]);
    let mut config = LlmConfig::new(&fake.base_url(), "llama3.1", KEY);
    config.max_tokens_field = MaxTokensField::MaxTokens;
    let client = client_for(config.clone());
    let body = client.body(&structured_request());
    assert_eq!(body["max_tokens"], 400);
    assert!(body.get("max_completion_tokens").is_none());
    assert_eq!(body["temperature"], 0.0);
    pollster::block_on(client.complete(&structured_request())).unwrap();
    // OpenAI would read it too, but it is deprecated: the fake says so, and nothing else.
    let breach = only_violation(&fake);
    assert_eq!(
        (breach.rule.as_str(), breach.path.as_deref()),
        ("deprecated", Some("max_tokens"))
    );
    // A local reasoning model declared by hand (Ollama's deepseek-r1, say): the same field,
    // with room to think, and no temperature.
    config.reasoning = Reasoning::Yes;
    let body = client_for(config).body(&structured_request());
    assert_eq!(body["max_tokens"], 400 + DEFAULT_REASONING_TOKENS);
    assert!(body.get("temperature").is_none());
}

#[test]
fn settings_come_from_the_vars_and_an_unusable_one_is_an_error() {
    let services = |vars: &[(&str, &str)]| NativeServices {
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..NativeServices::default()
    };
    assert_eq!(
        LlmConfig::from_services(&services(&[])),
        None,
        "no key, no model"
    );
    let config = LlmConfig::from_services(&services(&[
        ("LLM_API_KEY", KEY),
        ("LLM_MODEL", "my-deployment"),
        ("LLM_REASONING", "true"),
        ("LLM_MAX_TOKENS_FIELD", "max_tokens"),
        ("LLM_REASONING_EFFORT", "minimal"),
        ("LLM_REASONING_TOKENS", "4000"),
        ("LLM_TIMEOUT_SECONDS", "12"),
    ]))
    .unwrap()
    .unwrap();
    assert!(config.is_reasoning());
    assert_eq!(config.max_tokens_field, MaxTokensField::MaxTokens);
    assert_eq!(config.reasoning_effort.as_deref(), Some("minimal"));
    assert_eq!(config.reasoning_tokens, 4_000);
    assert_eq!(config.timeout, sluice::Duration::from_secs(12));
    let auto = LlmConfig::from_services(&services(&[("LLM_API_KEY", KEY), ("LLM_MODEL", "o3")]))
        .unwrap()
        .unwrap();
    assert!(auto.is_reasoning(), "auto by default");
    for (var, value) in [
        ("LLM_REASONING", "maybe"),
        ("LLM_MAX_TOKENS_FIELD", "max_output_tokens"),
        ("LLM_REASONING_EFFORT", "extreme"),
        ("LLM_REASONING_TOKENS", "lots"),
        ("LLM_TIMEOUT_SECONDS", "0"),
    ] {
        let error = LlmConfig::from_services(&services(&[("LLM_API_KEY", KEY), (var, value)]))
            .unwrap()
            .unwrap_err();
        assert_eq!((error.var, error.value.as_str()), (var, value));
        assert!(error.to_string().starts_with(var), "{error}");
    }
}

// ---- the client's knowledge agrees with the table --------------------------------------------

#[test]
fn auto_reasoning_agrees_with_the_contract_table_for_every_model_it_lists() {
    let models = table()["models"].as_object().unwrap();
    assert!(models.len() > 50, "the spec's model ids");
    for (id, family) in models {
        assert_eq!(
            is_reasoning_model(id),
            !family.is_null(),
            "{id}: the table says {family}"
        );
    }
    let prefixes: BTreeSet<&str> = table()["reasoning"]["families"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|f| f["prefixes"].as_array().unwrap().iter())
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        prefixes,
        REASONING_MODEL_PREFIXES
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
    );
    let efforts: BTreeSet<&str> = table()["request"]["fields"]["reasoning_effort"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        efforts,
        REASONING_EFFORTS.iter().copied().collect::<BTreeSet<_>>()
    );
}

#[test]
fn the_table_carries_its_source_and_the_facts_the_client_relies_on() {
    let source = &table()["source"];
    assert_eq!(source["repository"], "openai/openai-openapi");
    assert_eq!(source["commit"], "f85dbe2");
    let fields = &table()["request"]["fields"];
    assert_eq!(fields["max_tokens"]["deprecated"], true);
    assert_eq!(
        fields["max_tokens"]["replaced_by"],
        json!(["max_completion_tokens"])
    );
    assert_eq!(fields["model"]["required"], true);
    assert_eq!(fields["messages"]["required"], true);
    assert!(table()["reasoning"]["rejected"]["max_tokens"]["spec_says"]
        .as_str()
        .unwrap()
        .contains("not compatible with o-series models"));
    let envelope = &table()["errors"]["envelope"]["fields"]["error"]["fields"];
    for key in ["message", "type", "param", "code"] {
        assert_eq!(envelope[key]["required"], true, "{key}");
    }
}
