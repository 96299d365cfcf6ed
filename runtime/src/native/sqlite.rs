use crate::sql::{Database, Row, SqlError, SqlErrorKind, SqlStore, SqlValue};
use rusqlite::types::{Value as Sqlite, ValueRef};
use rusqlite::Connection;
use serde_json::Value;
use std::cell::{Cell, RefCell};

fn bind(params: &[SqlValue]) -> Vec<Sqlite> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Null => Sqlite::Null,
            SqlValue::Integer(i) => Sqlite::Integer(*i),
            SqlValue::Real(r) => Sqlite::Real(*r),
            SqlValue::Text(t) => Sqlite::Text(t.clone()),
        })
        .collect()
}

fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(r) => Value::from(r),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::from(b.to_vec()),
    }
}

/// rusqlite reports constraint failures by code; a missing table only as SQLite's message.
fn err(e: rusqlite::Error) -> SqlError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            SqlError::of(SqlErrorKind::Constraint, e.to_string())
        }
        _ => SqlError::classify(e.to_string()),
    }
}

fn run_query(conn: &Connection, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
    // Cached: the same few statements run thousands of times in a fault campaign.
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(bind(params)))
        .map_err(err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            map.insert(name.clone(), to_json(row.get_ref(i).map_err(err)?));
        }
        out.push(map);
    }
    Ok(out)
}

/// A Durable Object's storage: one SQLite database plus the alarm slot.
pub struct SqliteStore {
    conn: Connection,
    alarm: Cell<Option<i64>>,
    /// The alarm as of the open transaction's start, restored on rollback.
    alarm_before_tx: Cell<Option<Option<i64>>>,
    /// When set, the next `execute` or `query` whose SQL contains this text fails:
    /// fault injection for atomicity tests.
    fail_on: RefCell<Option<String>>,
}

impl SqliteStore {
    /// An empty in-memory database with no alarm set.
    ///
    /// # Panics
    ///
    /// If SQLite cannot open an in-memory database (out of memory).
    pub fn in_memory() -> Self {
        Self {
            conn: Connection::open_in_memory().expect("in-memory sqlite opens"),
            alarm: Cell::new(None),
            alarm_before_tx: Cell::new(None),
            fail_on: RefCell::new(None),
        }
    }

    /// The alarm currently scheduled, if any.
    pub fn alarm(&self) -> Option<i64> {
        self.alarm.get()
    }

    /// Clears the alarm, as the platform does when it fires.
    pub fn take_alarm(&self) -> Option<i64> {
        self.alarm.take()
    }

    /// Makes the next statement containing `needle` fail once.
    pub fn fail_next_statement_containing(&self, needle: &str) {
        *self.fail_on.borrow_mut() = Some(needle.to_owned());
    }

    fn check_fault(&self, sql: &str) -> Result<(), SqlError> {
        let mut fail_on = self.fail_on.borrow_mut();
        if fail_on
            .as_deref()
            .is_some_and(|needle| sql.contains(needle))
        {
            *fail_on = None;
            return Err(SqlError::new(format!("injected failure: {sql}")));
        }
        Ok(())
    }
}

impl SqlStore for SqliteStore {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError> {
        self.check_fault(sql)?;
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(bind(params))))
            .map(drop)
            .map_err(err)
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        self.check_fault(sql)?;
        run_query(&self.conn, sql, params)
    }

    fn transaction<T>(&self, body: impl FnOnce() -> Result<T, SqlError>) -> Result<T, SqlError> {
        // Like transactionSync, nested calls join the outer transaction.
        if self.alarm_before_tx.get().is_some() {
            return body();
        }
        self.conn.execute_batch("BEGIN").map_err(err)?;
        self.alarm_before_tx.set(Some(self.alarm.get()));
        let result = body();
        let before = self.alarm_before_tx.take().flatten();
        match result {
            Ok(value) => {
                self.conn.execute_batch("COMMIT").map_err(err)?;
                Ok(value)
            }
            Err(e) => {
                self.conn.execute_batch("ROLLBACK").map_err(err)?;
                self.alarm.set(before);
                Err(e)
            }
        }
    }

    fn set_alarm(&self, at_ms: i64) -> Result<(), SqlError> {
        self.alarm.set(Some(at_ms));
        Ok(())
    }

    fn delete_all(&self) -> Result<(), SqlError> {
        let tables = run_query(
            &self.conn,
            "SELECT name FROM sqlite_master WHERE type = 'table'",
            &[],
        )?;
        for table in tables {
            if let Some(name) = table.get("name").and_then(|v| v.as_str()) {
                self.conn
                    .execute_batch(&format!("DROP TABLE IF EXISTS \"{name}\""))
                    .map_err(err)?;
            }
        }
        self.alarm.set(None);
        Ok(())
    }
}

/// A D1 stand-in: an SQLite database behind the async [`Database`] port.
pub struct SqliteDatabase {
    conn: Connection,
}

impl SqliteDatabase {
    /// An empty in-memory database.
    ///
    /// # Panics
    ///
    /// If SQLite cannot open an in-memory database (out of memory).
    pub fn in_memory() -> Self {
        Self {
            conn: Connection::open_in_memory().expect("in-memory sqlite opens"),
        }
    }

    /// Applies migration files' SQL (several statements each).
    pub fn apply(&self, sql: &str) -> Result<(), SqlError> {
        self.conn.execute_batch(sql).map_err(err)
    }
}

#[async_trait::async_trait(?Send)]
impl Database for SqliteDatabase {
    async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<(), SqlError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(bind(&params))))
            .map(drop)
            .map_err(err)
    }

    async fn query(&self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<Row>, SqlError> {
        run_query(&self.conn, sql, &params)
    }
}
