//! The values a policy is written with, independent of where they were written: an attribute
//! argument (`limit = 5`) or a TOML key (`limit = 5`). Each source converts its own syntax
//! into [`Value`], so both are checked by the same field parsers.

use std::fmt;

/// A policy value as written, before any field parser has checked it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer (wide enough for any TOML or Rust literal, so range errors are ours to report).
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string (durations and backoff names are written as strings).
    Str(String),
    /// An array of values.
    Array(Vec<Value>),
    /// Keys in the order written.
    Table(Vec<(String, Value)>),
    /// Anything else (a TOML date, a Rust expression), described for error messages.
    Other(String),
}

impl Value {
    /// A [`Value::Table`] of `entries`, keeping their order.
    pub fn table(entries: impl IntoIterator<Item = (impl Into<String>, Value)>) -> Value {
        Value::Table(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A [`Value::Str`].
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }
}

/// What was found, for "expected X, found Y" messages: `the integer 5`, `a table`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "the integer {n}"),
            Value::Float(x) => write!(f, "the float {x}"),
            Value::Bool(b) => write!(f, "the boolean {b}"),
            Value::Str(s) => write!(f, "the string {s:?}"),
            Value::Array(_) => f.write_str("an array"),
            Value::Table(_) => f.write_str("a table"),
            Value::Other(what) => f.write_str(what),
        }
    }
}
