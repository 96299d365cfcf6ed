//! [`SqlStore`] over a SQLite-backed Durable Object's `ctx.storage`.

use super::bindings::{DurableStorage, SqlStorage};
use super::js;
use crate::sql::{Row, SqlError, SqlStore, SqlValue};
use std::cell::Cell;
use wasm_bindgen::prelude::*;

/// A SQLite-backed Durable Object's storage as a [`SqlStore`].
pub struct DoStorage {
    storage: DurableStorage,
    sql: SqlStorage,
    in_transaction: Cell<bool>,
}

impl DoStorage {
    /// `raw` is `ctx.storage` (`worker::Storage::as_raw()`).
    pub fn new(raw: JsValue) -> Self {
        let storage: DurableStorage = raw.unchecked_into();
        let sql = storage.sql();
        Self {
            storage,
            sql,
            in_transaction: Cell::new(false),
        }
    }

    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<js_sys::Array, SqlError> {
        self.sql
            .exec(query, &js::params(params))
            .map(|cursor| cursor.to_array())
            .map_err(|e| SqlError::classify(format!("{}: {query}", js::error_message(&e))))
    }
}

impl SqlStore for DoStorage {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError> {
        self.exec(sql, params).map(drop)
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        js::rows(&self.exec(sql, params)?.into())
    }

    fn transaction<T>(&self, body: impl FnOnce() -> Result<T, SqlError>) -> Result<T, SqlError> {
        if self.in_transaction.get() {
            return body(); // transactionSync does not nest; join the open one
        }
        let mut body = Some(body);
        let mut outcome: Option<Result<T, SqlError>> = None;
        self.in_transaction.set(true);
        let call = self.storage.transaction_sync(&mut || {
            let result = body
                .take()
                .map(|f| f())
                .unwrap_or_else(|| Err(SqlError::new("transaction body ran twice")));
            let failed = result.is_err();
            outcome = Some(result);
            if failed {
                // Throwing is how transactionSync is told to roll back. Nothing owned is live
                // in this frame any more, so leaving it by a JS exception leaks nothing.
                wasm_bindgen::throw_str("sluice: transaction rolled back");
            }
            JsValue::UNDEFINED
        });
        self.in_transaction.set(false);
        match (call, outcome) {
            (_, Some(Err(e))) => Err(e),
            (Ok(_), Some(Ok(value))) => Ok(value),
            (Err(e), _) => Err(SqlError::new(format!(
                "transaction failed: {}",
                js::error_message(&e)
            ))),
            (Ok(_), None) => Err(SqlError::new("transaction body did not run")),
        }
    }

    fn delete_all(&self) -> Result<(), SqlError> {
        // Both are storage operations of the current implicit transaction, like setAlarm.
        self.storage
            .delete_alarm()
            .map(drop)
            .map_err(|e| SqlError::new(format!("deleteAlarm: {}", js::error_message(&e))))?;
        self.storage
            .delete_all()
            .map(drop)
            .map_err(|e| SqlError::new(format!("deleteAll: {}", js::error_message(&e))))
    }

    fn set_alarm(&self, at_ms: i64) -> Result<(), SqlError> {
        // The write joins the current implicit transaction; awaiting the promise is not needed
        // for durability (output gates hold the response until it commits).
        self.storage
            .set_alarm(at_ms as f64)
            .map(drop)
            .map_err(|e| SqlError::new(format!("setAlarm: {}", js::error_message(&e))))
    }
}
