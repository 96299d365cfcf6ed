//! The two SQL ports the framework is written against:
//! - [`SqlStore`]: a Durable Object's synchronous SQLite storage, with transactions and the alarm;
//! - [`Database`]: an asynchronous database such as D1.
//!
//! Both speak plain SQL with positional `?` parameters and return rows as JSON objects, so the
//! same statements run on Cloudflare and, in native tests, on an in-process SQLite.

use serde::de::DeserializeOwned;
use std::fmt;

/// One bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    /// SQL `NULL` (what `None` converts to).
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// A text value.
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}
impl From<u32> for SqlValue {
    fn from(v: u32) -> Self {
        SqlValue::Integer(i64::from(v))
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(v.clone())
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// A result row: column name to value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What kind of failure a [`SqlError`] is. Hosts classify their engine's errors once, here,
/// so no other code interprets message text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlErrorKind {
    /// The statement names a table that does not exist (e.g. storage never initialised).
    MissingTable,
    /// A constraint (primary key, unique, check, not null) refused the write.
    Constraint,
    /// Anything else: I/O, syntax, a row that does not decode.
    Other,
}

/// A storage or database failure, with the statement that failed when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    /// Which failure it is; decide on this, never on the message.
    pub kind: SqlErrorKind,
    /// The engine's message, with the failing statement when the host knows it.
    pub message: String,
}

impl SqlError {
    /// An unclassified failure.
    pub fn new(message: impl Into<String>) -> Self {
        Self::of(SqlErrorKind::Other, message)
    }

    /// A failure of `kind`.
    pub fn of(kind: SqlErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Classifies an engine's message: for hosts whose engine reports errors as text only
    /// (SQLite inside workerd, D1). Call it at the host boundary, nowhere else.
    pub fn classify(message: impl Into<String>) -> Self {
        let message = message.into();
        let kind = if message.contains("no such table") {
            SqlErrorKind::MissingTable
        } else if message.contains("constraint failed") || message.contains("UNIQUE constraint") {
            SqlErrorKind::Constraint
        } else {
            SqlErrorKind::Other
        };
        Self::of(kind, message)
    }

    /// Whether the statement named a table that does not exist.
    pub fn is_missing_table(&self) -> bool {
        self.kind == SqlErrorKind::MissingTable
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

/// Decodes rows into a typed value.
pub fn decode_rows<T: DeserializeOwned>(rows: Vec<Row>) -> Result<Vec<T>, SqlError> {
    rows.into_iter()
        .map(|row| {
            crate::json::from_value(&serde_json::Value::Object(row))
                .map_err(|e| SqlError::new(format!("row does not decode: {e}")))
        })
        .collect()
}

/// A Durable Object's SQLite storage. Calls are synchronous, as they are on the platform.
pub trait SqlStore {
    /// Runs one statement that returns no rows (DDL, `INSERT`, `UPDATE`, `DELETE`), binding
    /// `params` to its `?`s in order.
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError>;
    /// Runs one `SELECT` and returns every row.
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError>;

    /// Runs `body` atomically: every write inside it, the alarm included, commits or none does.
    fn transaction<T>(&self, body: impl FnOnce() -> Result<T, SqlError>) -> Result<T, SqlError>;

    /// Schedules the object's single alarm at `at_ms` (unix milliseconds), replacing any other.
    fn set_alarm(&self, at_ms: i64) -> Result<(), SqlError>;

    /// Deletes everything the object stores (tables included) and its alarm.
    fn delete_all(&self) -> Result<(), SqlError>;

    /// [`SqlStore::query`], each row decoded as `T` (by column name); a row that does not
    /// decode is an [`SqlErrorKind::Other`] error.
    fn query_as<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<T>, SqlError> {
        decode_rows(self.query(sql, params)?)
    }
}

/// An asynchronous SQL database (D1 on Cloudflare).
#[async_trait::async_trait(?Send)]
pub trait Database {
    /// Runs one statement that returns no rows, binding `params` to its `?`s in order.
    async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<(), SqlError>;
    /// Runs one `SELECT` and returns every row.
    async fn query(&self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<Row>, SqlError>;
}
