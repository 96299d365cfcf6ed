//! `retry-policies.toml` text into the policy crate's [`Value`] (keys sorted, as `toml` keeps them). Shared by
//! the build script (which embeds the file) and a test (which checks its messages), so both
//! see the same conversion.

use sluice_policy::Value;

fn convert(value: &toml::Value) -> Value {
    match value {
        toml::Value::Integer(n) => Value::Int(i128::from(*n)),
        toml::Value::Float(x) => Value::Float(*x),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        toml::Value::Table(table) => table_value(table),
        toml::Value::Datetime(d) => Value::Other(format!("the date-time {d}")),
    }
}

fn table_value(table: &toml::Table) -> Value {
    Value::Table(table.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
}

/// Parses the file's text; a syntax error is reported by the TOML parser, prefixed by `label`.
pub fn parse(label: &str, text: &str) -> Result<Value, String> {
    text.parse::<toml::Table>()
        .map(|table| table_value(&table))
        .map_err(|e| format!("{label}: {e}"))
}
