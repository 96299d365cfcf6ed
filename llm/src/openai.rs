//! [`LanguageModel`] over the OpenAI-compatible Chat Completions API: `POST
//! {base}/chat/completions` with a bearer key, strict `json_schema` replies and strict
//! function tools. The base URL includes the version segment (`https://api.openai.com/v1`),
//! so Cloudflare's OpenAI-compatible endpoints and local servers work by configuration.
//! What a request carries follows OpenAI's published contract
//! (`contracts/openai/chat-completions.json`): `max_completion_tokens` rather than the
//! deprecated `max_tokens` (unless [`MaxTokensField`] says the server only reads that), and
//! nothing a reasoning model refuses when [`LlmConfig::is_reasoning`].
//!
//! Usage (model, tokens, latency) is logged for every call; prompts and answers never are.

mod config;

pub use config::*;

use super::{ChatMessage, ChatRequest, ChatResponse, LanguageModel, LlmError, ToolCall, Usage};
use serde_json::{json, Map, Value};
use sluice::duration::Duration;
use sluice::http::{HttpClient, HttpRequest, HttpResponse};
use sluice::workflow::Services;
use std::rc::Rc;

/// A server-given delay longer than this is not waited for (the call fails as retryable
/// without it, and the step's own backoff applies).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Why an answer cut at the token cap is refused.
const CUT_AT_LIMIT: &str = "the answer was cut at the token limit";

pub struct OpenAiCompatible {
    config: LlmConfig,
    http: Rc<dyn HttpClient>,
}

impl OpenAiCompatible {
    pub fn new(config: LlmConfig, http: Rc<dyn HttpClient>) -> Self {
        Self { config, http }
    }

    /// The model configured for this Worker: `None` without a key, an error when a setting
    /// is unusable.
    pub fn from_services(services: &dyn Services) -> Option<Result<Self, LlmConfigError>> {
        LlmConfig::from_services(services)
            .map(|config| config.map(|config| Self::new(config, services.http())))
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

    /// The request body: everything but the key, so tests can snapshot it. What OpenAI's
    /// reasoning models refuse is left out for them: sampling parameters (`temperature`) and
    /// `parallel_tool_calls`; their cap leaves room to reason and `reasoning_effort` is sent
    /// when configured. The cap goes in the configured field (`max_completion_tokens` unless
    /// the server only reads `max_tokens`).
    pub fn body(&self, request: &ChatRequest) -> Value {
        let reasoning = self.config.is_reasoning();
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
            if !reasoning {
                // Strictness is not guaranteed for parallel calls.
                body.insert("parallel_tool_calls".into(), json!(false));
            }
        }
        if let Some(schema) = &request.response_schema {
            body.insert(
                "response_format".into(),
                json!({ "type": "json_schema", "json_schema": {
                    "name": schema.name, "schema": schema.schema, "strict": true } }),
            );
        }
        if let Some(max) = request.max_output_tokens {
            let cap = if reasoning {
                max.saturating_add(self.config.reasoning_tokens)
            } else {
                max
            };
            body.insert(self.config.max_tokens_field.name().into(), json!(cap));
        }
        if reasoning {
            if let Some(effort) = &self.config.reasoning_effort {
                body.insert("reasoning_effort".into(), json!(effort));
            }
        } else if let Some(temperature) = request.temperature {
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
    // `code` is the precise one (`rate_limit_exceeded` under type `requests`); `type` names
    // the quota and the refused request.
    let (code, kind) = (
        error["error"]["code"].as_str(),
        error["error"]["type"].as_str(),
    );
    let quota = [code, kind].contains(&Some("insufficient_quota"));
    // The field a refused request got wrong, never the API's message (it may quote content).
    let param = error["error"]["param"]
        .as_str()
        .map(|p| format!("param {p}"));
    let detail: Vec<String> = code
        .or(kind)
        .map(str::to_owned)
        .into_iter()
        .chain(param)
        .collect();
    let message = if detail.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("HTTP {} ({})", response.status, detail.join(", "))
    };
    match response.status {
        // An exhausted quota shares 429 with rate limits; waiting does not fix billing.
        429 if quota => LlmError::invalid(message),
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
        Some("stop" | "tool_calls") | None => {}
        Some("length") => return Err(LlmError::invalid(CUT_AT_LIMIT)),
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
    let reasoning_tokens = reply["usage"]["completion_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap_or(0);
    Ok(ChatResponse {
        content: message["content"].as_str().map(str::to_owned),
        tool_calls,
        usage: Usage {
            prompt_tokens: count("prompt_tokens"),
            completion_tokens: count("completion_tokens"),
            total_tokens: count("total_tokens"),
            reasoning_tokens,
        },
        model: reply["model"].as_str().unwrap_or_default().to_owned(),
    })
}

impl OpenAiCompatible {
    /// A reasoning model's answer cut at the cap most likely spent it thinking: say which
    /// setting gives it more room.
    fn explain(&self, error: LlmError) -> LlmError {
        match error {
            LlmError::Invalid { message } if message == CUT_AT_LIMIT && self.config.is_reasoning() => {
                LlmError::invalid(format!(
                    "{message} (a reasoning model spends part of it thinking: raise {REASONING_TOKENS_VAR}, now {})",
                    self.config.reasoning_tokens
                ))
            }
            other => other,
        }
    }
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
        let started = sluice::clock::now_ms();
        let response = self
            .http
            .send(http)
            .await
            .map_err(|e| LlmError::retryable(format!("transport: {}", e.0), None))?;
        let latency = sluice::clock::now_ms() - started;
        if !(200..300).contains(&response.status) {
            let error = status_error(&response);
            sluice::log::info(&format!(
                "llm call model={} status={} latency_ms={latency}",
                self.config.model, response.status
            ));
            return Err(error);
        }
        let answer = parse_response(&response.body).map_err(|e| self.explain(e))?;
        let usage = answer.usage;
        sluice::log::info(&format!(
            "llm call model={} prompt_tokens={} completion_tokens={} reasoning_tokens={} total_tokens={} latency_ms={latency}",
            answer.model, usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens, usage.total_tokens
        ));
        Ok(answer)
    }
}
