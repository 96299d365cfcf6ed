//! The language-model port: one chat completion with strict structured output or function
//! tools. Workflows are written against [`LanguageModel`]; [`openai::OpenAiCompatible`] speaks
//! the OpenAI-compatible HTTP API (OpenAI, Cloudflare's OpenAI-compatible endpoints, a local
//! server), and tests use the fake server of `incidentd_testkit::FakeLlm` through that same
//! client.
//!
//! Errors follow the step semantics: a rate limit, an overloaded or failing server and a
//! timeout are retryable (a rate limit with the server's delay); a refused request, a reply
//! that does not parse or breaks its schema, a truncated answer or a refusal are not.

pub mod openai;

use serde::de::DeserializeOwned;
use serde_json::Value;
use sluice::duration::Duration;
use sluice::error::EffectError;
use std::fmt;

/// A JSON value's type as JSON Schema names it (`"integer"` for whole numbers), for messages
/// about schemas: the strict-schema checker and the fake server's request checks.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatMessage {
    /// Instructions (sent with role `system`: the role every compatible server knows).
    System(String),
    User(String),
    /// An earlier answer, echoed back exactly before the results of its tool calls.
    Assistant {
        content: Option<String>,
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call.
    Tool {
        tool_call_id: String,
        content: String,
    },
}

/// A function the model may call; `parameters` is a JSON Schema in the strict subset (every
/// object closed, every property required, optional ones as a null union).
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// A reply shaped by a strict JSON Schema (`response_format: json_schema`).
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseSchema {
    pub name: String,
    pub schema: Value,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    pub tools: Vec<Tool>,
    pub response_schema: Option<ResponseSchema>,
    /// Upper bound on the answer's tokens. A reasoning model gets more to think in (see
    /// `openai::LlmConfig::reasoning_tokens`).
    pub max_output_tokens: Option<u32>,
    /// Sampling temperature, for models that accept one (reasoning models do not: the client
    /// leaves it out for them).
    pub temperature: Option<f64>,
}

/// A call the model made, its arguments parsed (servers send a JSON string or an object).
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// Tokens one call used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Of `completion_tokens`, those a reasoning model spent thinking (0 when not reported).
    pub reasoning_tokens: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatResponse {
    pub content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// The model that answered (as the server names it).
    pub model: String,
}

impl ChatResponse {
    /// The structured answer: `content` parsed as JSON into `T`. A reply that does not fit is
    /// a non-retryable error (the same prompt would most likely fail the same way).
    pub fn structured<T: DeserializeOwned>(&self) -> Result<T, LlmError> {
        let content = self
            .content
            .as_deref()
            .ok_or_else(|| LlmError::invalid("the model returned no content"))?;
        serde_json::from_str(content).map_err(|e| {
            LlmError::invalid(format!("the model's answer does not fit its schema: {e}"))
        })
    }
}

/// Why a call failed, and whether trying again may help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LlmError {
    /// A rate limit, a failing or overloaded server, a timeout: retry (after `retry_after`
    /// when the server said).
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// A refused request, a malformed or schema-breaking reply, a truncated answer, a refusal,
    /// an exhausted quota: retrying cannot help.
    Invalid { message: String },
}

impl LlmError {
    pub fn retryable(message: impl Into<String>, retry_after: Option<Duration>) -> Self {
        LlmError::Retryable {
            message: message.into(),
            retry_after,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        LlmError::Invalid {
            message: message.into(),
        }
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::Retryable { message, .. } | LlmError::Invalid { message } => {
                write!(f, "llm: {message}")
            }
        }
    }
}

impl std::error::Error for LlmError {}

impl From<LlmError> for EffectError {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::Retryable {
                ref retry_after, ..
            } => {
                let retry_after = *retry_after;
                let mut error = EffectError::retryable(e.to_string());
                error.retry_after = retry_after;
                error
            }
            LlmError::Invalid { .. } => EffectError::non_retryable(e.to_string()),
        }
    }
}

/// A chat-completion model.
#[async_trait::async_trait(?Send)]
pub trait LanguageModel {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;
}
