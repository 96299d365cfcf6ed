//! What every Slack body parser shares: the error, and form decoding (slash commands and
//! interactivity arrive `application/x-www-form-urlencoded`).

use std::collections::HashMap;
use std::fmt;

/// A body that is not the payload it claims to be. Says what was wrong, never echoes the body
/// (it may carry user text or tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Not JSON, or JSON of the wrong shape (serde's message, without the input).
    Json(String),
    /// A required form field is absent.
    MissingField(&'static str),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::Json(e) => write!(f, "malformed Slack payload: {e}"),
            PayloadError::MissingField(name) => write!(f, "missing form field {name}"),
        }
    }
}

impl From<serde_json::Error> for PayloadError {
    fn from(e: serde_json::Error) -> Self {
        PayloadError::Json(e.to_string())
    }
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, PayloadError> {
    Ok(serde_json::from_slice(bytes)?)
}

/// Decodes an object whose `type` field names its shape: reads `type` alone, then `decode`
/// reads the whole object as the one shape it names. serde's `#[serde(tag = "type")]` would
/// instead buffer every body into an intermediate tree and compile a second deserializer per
/// variant, about 70 KB of the worker's wasm for Slack's tagged bodies.
pub(crate) fn by_type<T>(
    bytes: &[u8],
    decode: impl FnOnce(&str, &[u8]) -> Result<T, serde_json::Error>,
) -> Result<T, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: String,
    }
    let typed: Typed = serde_json::from_slice(bytes)?;
    decode(&typed.kind, bytes)
}

/// Form fields by name; a repeated field keeps its first value.
pub(crate) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}
