//! [`LanguageModel`] over the OpenAI-compatible Chat Completions API: `POST
//! {base}/chat/completions` with a bearer key, strict `json_schema` replies and strict
//! function tools. The base URL includes the version segment (`https://api.openai.com/v1`),
//! so Cloudflare's OpenAI-compatible endpoints and local servers work by configuration.
//!
//! Usage (model, tokens, latency) is logged for every call; prompts and answers never are.

use super::{ChatMessage, ChatRequest, ChatResponse, LanguageModel, LlmError, ToolCall, Usage};
use crate::duration::Duration;
use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::workflow::Services;
use serde_json::{json, Map, Value};
use std::rc::Rc;

/// Worker vars (the key is a secret) configuring the model.
pub const BASE_URL_VAR: &str = "LLM_BASE_URL";
pub const MODEL_VAR: &str = "LLM_MODEL";
pub const API_KEY_VAR: &str = "LLM_API_KEY";
/// Optional: seconds one call may take (default [`DEFAULT_TIMEOUT`]).
pub const TIMEOUT_VAR: &str = "LLM_TIMEOUT_SECONDS";

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A server-given delay longer than this is not waited for (the call fails as retryable
/// without it, and the step's own backoff applies).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub timeout: Duration,
}

impl LlmConfig {
    /// From the Worker's vars; `None` without an API key (the AI features are then off; a
    /// local server that needs no key takes any non-empty value).
    pub fn from_services(services: &dyn Services) -> Option<LlmConfig> {
        let api_key = services.var(API_KEY_VAR).filter(|k| !k.trim().is_empty())?;
        let timeout = services
            .var(TIMEOUT_VAR)
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&s| s > 0)
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        Some(LlmConfig {
            base_url: services
                .var(BASE_URL_VAR)
                .unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            model: services
                .var(MODEL_VAR)
                .unwrap_or_else(|| DEFAULT_MODEL.into()),
            api_key,
            timeout,
        })
    }
}

pub struct OpenAiCompatible {
    config: LlmConfig,
    http: Rc<dyn HttpClient>,
}

impl OpenAiCompatible {
    pub fn new(config: LlmConfig, http: Rc<dyn HttpClient>) -> Self {
        Self { config, http }
    }

    /// The model configured for this Worker, if any.
    pub fn from_services(services: &dyn Services) -> Option<Self> {
        LlmConfig::from_services(services).map(|config| Self::new(config, services.http()))
    }

    /// The same model with each call's timeout capped at `cap` (a feature bounded tighter than
    /// `LLM_TIMEOUT_SECONDS`).
    pub fn with_timeout_at_most(mut self, cap: Duration) -> Self {
        if cap < self.config.timeout {
            self.config.timeout = cap;
        }
        self
    }

    /// The model id configured (`LLM_MODEL`).
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// The request body: everything but the key, so tests can snapshot it.
    pub fn body(&self, request: &ChatRequest) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(self.config.model));
        body.insert(
            "messages".into(),
            Value::Array(request.messages.iter().map(message_json).collect()),
        );
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|t| {
                    json!({ "type": "function", "function": {
                        "name": t.name, "description": t.description,
                        "parameters": t.parameters, "strict": true } })
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
            // Strictness is not guaranteed for parallel calls.
            body.insert("parallel_tool_calls".into(), json!(false));
        }
        if let Some(schema) = &request.response_schema {
            body.insert(
                "response_format".into(),
                json!({ "type": "json_schema", "json_schema": {
                    "name": schema.name, "schema": schema.schema, "strict": true } }),
            );
        }
        if let Some(max) = request.max_tokens {
            body.insert("max_tokens".into(), json!(max));
        }
        if let Some(temperature) = request.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        Value::Object(body)
    }
}

fn message_json(message: &ChatMessage) -> Value {
    match message {
        ChatMessage::System(text) => json!({ "role": "system", "content": text }),
        ChatMessage::User(text) => json!({ "role": "user", "content": text }),
        ChatMessage::Assistant {
            content,
            tool_calls,
        } => {
            let calls: Vec<Value> = tool_calls
                .iter()
                .map(|c| {
                    json!({ "id": c.id, "type": "function", "function": {
                        "name": c.name, "arguments": c.arguments.to_string() } })
                })
                .collect();
            let mut message = json!({ "role": "assistant", "content": content });
            if !calls.is_empty() {
                message["tool_calls"] = Value::Array(calls);
            }
            message
        }
        ChatMessage::Tool {
            tool_call_id,
            content,
        } => json!({ "role": "tool", "tool_call_id": tool_call_id, "content": content }),
    }
}

/// The server's delay: `retry-after-ms`, else `retry-after` in seconds; capped.
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let millis = response
        .header("retry-after-ms")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|ms| ms.max(0.0) as u64)
        .or_else(|| {
            response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|s| (s.max(0.0) * 1_000.0) as u64)
        })?;
    let wait = Duration::from_millis(millis);
    (wait <= MAX_RETRY_AFTER).then_some(wait)
}

/// Maps a non-2xx answer onto retry semantics (OpenAI's error table).
fn status_error(response: &HttpResponse) -> LlmError {
    let error: Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let kind = error["error"]["type"]
        .as_str()
        .or_else(|| error["error"]["code"].as_str())
        .unwrap_or("");
    let message = format!(
        "HTTP {}{}",
        response.status,
        if kind.is_empty() {
            String::new()
        } else {
            format!(" ({kind})")
        }
    );
    match response.status {
        // An exhausted quota shares 429 with rate limits; waiting does not fix billing.
        429 if kind == "insufficient_quota" => LlmError::invalid(message),
        408 | 409 | 429 => LlmError::retryable(message, retry_after(response)),
        s if s >= 500 => LlmError::retryable(message, retry_after(response)),
        _ => LlmError::invalid(message),
    }
}

fn parse_tool_call(call: &Value) -> Result<ToolCall, LlmError> {
    let name = call["function"]["name"]
        .as_str()
        .ok_or_else(|| LlmError::invalid("a tool call without a function name"))?;
    // A JSON string per the spec; some servers send the object itself.
    let arguments = match &call["function"]["arguments"] {
        Value::String(text) => serde_json::from_str(text).map_err(|e| {
            LlmError::invalid(format!("tool call {name}: arguments are not JSON: {e}"))
        })?,
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    };
    Ok(ToolCall {
        id: call["id"].as_str().unwrap_or_default().to_owned(),
        name: name.to_owned(),
        arguments,
    })
}

/// Reads a 2xx body into a [`ChatResponse`], refusing what a caller must not trust.
pub fn parse_response(body: &[u8]) -> Result<ChatResponse, LlmError> {
    let reply: Value = serde_json::from_slice(body)
        .map_err(|e| LlmError::invalid(format!("the reply is not JSON: {e}")))?;
    let choice = &reply["choices"][0];
    let message = &choice["message"];
    if message.is_null() {
        return Err(LlmError::invalid("the reply has no choice"));
    }
    if let Some(refusal) = message["refusal"].as_str() {
        return Err(LlmError::invalid(format!("the model refused: {refusal}")));
    }
    match choice["finish_reason"].as_str() {
        Some("stop") | Some("tool_calls") | None => {}
        Some("length") => return Err(LlmError::invalid("the answer was cut at the token limit")),
        Some(other) => return Err(LlmError::invalid(format!("finish reason {other}"))),
    }
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(parse_tool_call)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let count = |key: &str| reply["usage"][key].as_u64().unwrap_or(0);
    Ok(ChatResponse {
        content: message["content"].as_str().map(str::to_owned),
        tool_calls,
        usage: Usage {
            prompt_tokens: count("prompt_tokens"),
            completion_tokens: count("completion_tokens"),
            total_tokens: count("total_tokens"),
        },
        model: reply["model"].as_str().unwrap_or_default().to_owned(),
    })
}

#[async_trait::async_trait(?Send)]
impl LanguageModel for OpenAiCompatible {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut http = HttpRequest::post_json(&url, &self.body(request))
            .header("authorization", &format!("Bearer {}", self.config.api_key));
        http.timeout = self.config.timeout;
        let started = crate::clock::now_ms();
        let response = self
            .http
            .send(http)
            .await
            .map_err(|e| LlmError::retryable(format!("transport: {}", e.0), None))?;
        let latency = crate::clock::now_ms() - started;
        if !(200..300).contains(&response.status) {
            let error = status_error(&response);
            crate::log::info(&format!(
                "llm call model={} status={} latency_ms={latency}",
                self.config.model, response.status
            ));
            return Err(error);
        }
        let answer = parse_response(&response.body)?;
        crate::log::info(&format!(
            "llm call model={} prompt_tokens={} completion_tokens={} total_tokens={} latency_ms={latency}",
            answer.model, answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens
        ));
        Ok(answer)
    }
}
