//! The model's configuration from the Worker's vars: where it is, which model, and what it
//! accepts. OpenAI's reasoning models (o1, o3, o4-mini, the GPT-5 family...) refuse
//! `max_tokens` and non-default sampling parameters, and OpenAI-compatible servers such as
//! Ollama read only `max_tokens`: both are settings here, checked against OpenAI's published
//! contract (`contracts/openai/chat-completions.json`, by the test kit's tests).

use sluice::duration::Duration;
use sluice::workflow::Services;
use std::fmt;

/// Worker vars (the key is a secret) configuring the model.
pub const BASE_URL_VAR: &str = "LLM_BASE_URL";
pub const MODEL_VAR: &str = "LLM_MODEL";
pub const API_KEY_VAR: &str = "LLM_API_KEY";
/// Optional: seconds one call may take (default [`DEFAULT_TIMEOUT`]).
pub const TIMEOUT_VAR: &str = "LLM_TIMEOUT_SECONDS";
/// Optional: `auto` (default: known reasoning families by model id), `true` or `false`.
pub const REASONING_VAR: &str = "LLM_REASONING";
/// Optional: `max_completion_tokens` (default) or `max_tokens` (servers that only read it).
pub const MAX_TOKENS_FIELD_VAR: &str = "LLM_MAX_TOKENS_FIELD";
/// Optional, reasoning models only: `reasoning_effort` to send (one of [`REASONING_EFFORTS`]).
pub const REASONING_EFFORT_VAR: &str = "LLM_REASONING_EFFORT";
/// Optional, reasoning models only: tokens each call may spend thinking on top of its
/// answer's own cap (default [`DEFAULT_REASONING_TOKENS`]).
pub const REASONING_TOKENS_VAR: &str = "LLM_REASONING_TOKENS";

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A reasoning model counts its hidden reasoning in `max_completion_tokens`: without room for
/// it, the cap meant for the answer is spent thinking and the answer comes back empty.
/// OpenAI's reasoning guide advises reserving far more (about 25,000) while experimenting.
pub const DEFAULT_REASONING_TOKENS: u32 = 16_384;

/// Model-id prefixes of OpenAI's reasoning families: an id (after any `provider/` path)
/// equal to one, or continuing it with `-` or `.`, is a reasoning model. The contract
/// table's families are the judge: a runtime test fails when the two disagree.
pub const REASONING_MODEL_PREFIXES: &[&str] = &["codex-mini", "gpt-5", "o1", "o3", "o4-mini"];

/// `reasoning_effort` values OpenAI's spec lists (a test checks them against the table).
pub const REASONING_EFFORTS: &[&str] =
    &["none", "minimal", "low", "medium", "high", "xhigh", "max"];

/// Whether the configured model is a reasoning model (`LLM_REASONING`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reasoning {
    /// Known reasoning families, recognised by model id.
    #[default]
    Auto,
    Yes,
    No,
}

/// The request field carrying the token cap (`LLM_MAX_TOKENS_FIELD`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MaxTokensField {
    /// OpenAI's current field; it counts reasoning tokens too.
    #[default]
    MaxCompletionTokens,
    /// Deprecated by OpenAI and refused by its reasoning models, but the only one some
    /// OpenAI-compatible servers read (Ollama; Workers AI's examples use it).
    MaxTokens,
}

impl MaxTokensField {
    pub fn name(self) -> &'static str {
        match self {
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
            MaxTokensField::MaxTokens => "max_tokens",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub timeout: Duration,
    pub reasoning: Reasoning,
    pub max_tokens_field: MaxTokensField,
    /// Sent as `reasoning_effort` to a reasoning model; the model's default when `None`.
    pub reasoning_effort: Option<String>,
    /// Added to each call's cap for a reasoning model.
    pub reasoning_tokens: u32,
}

/// A var set to something the model settings cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LlmConfigError {
    pub var: &'static str,
    pub value: String,
    pub expected: String,
}

impl fmt::Display for LlmConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {:?}, expected {}",
            self.var, self.value, self.expected
        )
    }
}

impl std::error::Error for LlmConfigError {}

/// Whether `model` belongs to a known reasoning family ([`REASONING_MODEL_PREFIXES`]).
pub fn is_reasoning_model(model: &str) -> bool {
    let id = model.rsplit('/').next().unwrap_or(model);
    REASONING_MODEL_PREFIXES.iter().any(|prefix| {
        id.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
    })
}

impl LlmConfig {
    /// `model` at `base_url` with every optional setting at its default.
    pub fn new(base_url: &str, model: &str, api_key: &str) -> LlmConfig {
        LlmConfig {
            base_url: base_url.to_owned(),
            model: model.to_owned(),
            api_key: api_key.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            reasoning: Reasoning::Auto,
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            reasoning_effort: None,
            reasoning_tokens: DEFAULT_REASONING_TOKENS,
        }
    }

    /// Whether requests are shaped for a reasoning model.
    pub fn is_reasoning(&self) -> bool {
        match self.reasoning {
            Reasoning::Auto => is_reasoning_model(&self.model),
            Reasoning::Yes => true,
            Reasoning::No => false,
        }
    }

    /// From the Worker's vars: `None` without an API key (the AI features are then off; a
    /// local server that needs no key takes any non-empty value), an error when a var is set
    /// to something unusable (AI stays off and says which).
    pub fn from_services(services: &dyn Services) -> Option<Result<LlmConfig, LlmConfigError>> {
        let api_key = services.var(API_KEY_VAR).filter(|k| !k.trim().is_empty())?;
        Some(Self::read(services, api_key))
    }

    fn read(services: &dyn Services, api_key: String) -> Result<LlmConfig, LlmConfigError> {
        let var = |name: &str| {
            services
                .var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut config = LlmConfig::new(
            var(BASE_URL_VAR).as_deref().unwrap_or(DEFAULT_BASE_URL),
            var(MODEL_VAR).as_deref().unwrap_or(DEFAULT_MODEL),
            &api_key,
        );
        if let Some(value) = var(TIMEOUT_VAR) {
            let seconds = positive(TIMEOUT_VAR, &value)?;
            config.timeout = Duration::from_secs(seconds.into());
        }
        if let Some(value) = var(REASONING_VAR) {
            config.reasoning = match value.to_ascii_lowercase().as_str() {
                "auto" => Reasoning::Auto,
                "true" => Reasoning::Yes,
                "false" => Reasoning::No,
                _ => return Err(invalid(REASONING_VAR, &value, "auto, true or false")),
            };
        }
        if let Some(value) = var(MAX_TOKENS_FIELD_VAR) {
            config.max_tokens_field = match value.as_str() {
                "max_completion_tokens" => MaxTokensField::MaxCompletionTokens,
                "max_tokens" => MaxTokensField::MaxTokens,
                _ => {
                    return Err(invalid(
                        MAX_TOKENS_FIELD_VAR,
                        &value,
                        "max_completion_tokens or max_tokens",
                    ))
                }
            };
        }
        if let Some(value) = var(REASONING_EFFORT_VAR) {
            if !REASONING_EFFORTS.contains(&value.as_str()) {
                return Err(invalid(
                    REASONING_EFFORT_VAR,
                    &value,
                    &format!("one of {}", REASONING_EFFORTS.join(", ")),
                ));
            }
            config.reasoning_effort = Some(value);
        }
        if let Some(value) = var(REASONING_TOKENS_VAR) {
            config.reasoning_tokens = value
                .parse::<u32>()
                .map_err(|_| invalid(REASONING_TOKENS_VAR, &value, "a whole number of tokens"))?;
        }
        Ok(config)
    }
}

fn invalid(var: &'static str, value: &str, expected: &str) -> LlmConfigError {
    LlmConfigError {
        var,
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

fn positive(var: &'static str, value: &str) -> Result<u32, LlmConfigError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| invalid(var, value, "a whole number of seconds above 0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_families_are_recognised_by_prefix_and_separator() {
        for id in [
            "o1",
            "o3-mini",
            "o4-mini-2025-04-16",
            "gpt-5",
            "gpt-5.1-codex",
            "gpt-5-nano",
            "openai/o3",
            "codex-mini-latest",
        ] {
            assert!(is_reasoning_model(id), "{id}");
        }
        for id in [
            "gpt-4o-mini",
            "gpt-4.1",
            "o10",
            "gpt-50",
            "llama3.1",
            "@cf/meta/llama-3.1-8b-instruct",
            "",
        ] {
            assert!(!is_reasoning_model(id), "{id}");
        }
    }
}
