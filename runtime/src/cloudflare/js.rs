//! JSON-faithful conversion between `serde_json::Value` and JS values. Going through JSON text
//! keeps integers integers and maps plain objects (serde-wasm-bindgen would yield `Map`s).

use crate::sql::SqlValue;
use serde_json::Value;
use wasm_bindgen::prelude::*;

pub fn to_js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

pub fn from_js(value: &JsValue) -> Result<Value, String> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| error_message(&e))?
        .as_string()
        .unwrap_or_else(|| "null".to_owned());
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

pub fn param(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(r) => JsValue::from_f64(*r),
        SqlValue::Text(t) => JsValue::from_str(t),
    }
}

pub fn params(values: &[SqlValue]) -> js_sys::Array {
    values.iter().map(param).collect()
}

/// The message of a thrown JS value.
pub fn error_message(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// The `name` of a thrown JS error (`NonRetryableError`, ...).
pub fn error_name(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.name()))
        .unwrap_or_default()
}

/// A JS array of row objects (a SQL cursor's `toArray()`, D1's `results`).
pub fn rows(value: &JsValue) -> Result<Vec<crate::sql::Row>, crate::sql::SqlError> {
    use crate::sql::SqlError;
    match from_js(value).map_err(SqlError::new)? {
        Value::Array(rows) => rows
            .into_iter()
            .map(|row| match row {
                Value::Object(map) => Ok(map),
                other => Err(SqlError::new(format!("row is not an object: {other}"))),
            })
            .collect(),
        other => Err(SqlError::new(format!("rows are not an array: {other}"))),
    }
}
