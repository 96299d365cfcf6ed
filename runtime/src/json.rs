//! Decoding a [`serde_json::Value`] into a typed value, by way of its JSON text.
//!
//! `serde_json::from_value` is a second deserializer for every type decoded with it: serde_json
//! compiles one decoder per type for its text reader and another for its `Value` tree. A type
//! read both from a request body and from a `Value` (a workflow payload, a stored row) carries
//! both. In a Worker, whose upload is limited, those copies weighed about 240 KB of wasm before
//! optimisation; going through the text costs microseconds per value and keeps one decoder.

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// Decodes `value` as `T`: what `serde_json::from_value(value.clone())` does, through the
/// text decoder every JSON type already has.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Shipped {
///     order_id: String,
///     parcels: u32,
/// }
///
/// let value = serde_json::json!({ "order_id": "o-17", "parcels": 2 });
/// let shipped: Shipped = sluice::json::from_value(&value).unwrap();
/// assert_eq!(shipped, Shipped { order_id: "o-17".into(), parcels: 2 });
///
/// let wrong = serde_json::json!({ "order_id": 17 });
/// assert!(sluice::json::from_value::<Shipped>(&wrong).is_err());
///
/// // The error reads as `from_value`'s would: no position in a text the caller never saw.
/// let error = sluice::json::from_value::<Shipped>(&wrong).unwrap_err();
/// assert_eq!(error.to_string(), "invalid type: integer `17`, expected a string");
/// ```
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, FromValueError> {
    serde_json::from_str(&value.to_string()).map_err(FromValueError)
}

/// Why a value did not decode: serde's message (a wrong type, a missing or unknown field).
#[derive(Debug)]
pub struct FromValueError(serde_json::Error);

impl fmt::Display for FromValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let position = format!(" at line {} column {}", self.0.line(), self.0.column());
        f.write_str(text.strip_suffix(&position).unwrap_or(&text))
    }
}

impl std::error::Error for FromValueError {}
