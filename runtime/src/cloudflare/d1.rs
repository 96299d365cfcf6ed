//! [`Database`] over a D1 binding.

use super::bindings::{D1Binding, D1Statement};
use super::js;
use crate::sql::{Database, Row, SqlError, SqlValue};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A D1 database binding as a [`Database`].
pub struct D1 {
    binding: D1Binding,
}

impl D1 {
    /// Wraps `binding`, the D1 binding's value in the Worker's `env`.
    pub fn new(binding: JsValue) -> Self {
        Self {
            binding: binding.unchecked_into(),
        }
    }

    fn statement(&self, sql: &str, params: &[SqlValue]) -> Result<D1Statement, SqlError> {
        let fail = |e: JsValue| SqlError::classify(format!("{}: {sql}", js::error_message(&e)));
        self.binding
            .prepare(sql)
            .and_then(|s| s.bind(&js::params(params)))
            .map_err(fail)
    }
}

#[async_trait::async_trait(?Send)]
impl Database for D1 {
    async fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<(), SqlError> {
        let promise = self
            .statement(sql, &params)?
            .run()
            .map_err(|e| SqlError::classify(js::error_message(&e)))?;
        JsFuture::from(promise)
            .await
            .map(drop)
            .map_err(|e| SqlError::classify(format!("{}: {sql}", js::error_message(&e))))
    }

    async fn query(&self, sql: &str, params: Vec<SqlValue>) -> Result<Vec<Row>, SqlError> {
        let promise = self
            .statement(sql, &params)?
            .all()
            .map_err(|e| SqlError::classify(js::error_message(&e)))?;
        let result = JsFuture::from(promise)
            .await
            .map_err(|e| SqlError::classify(format!("{}: {sql}", js::error_message(&e))))?;
        let results = js_sys::Reflect::get(&result, &"results".into()).unwrap_or(JsValue::NULL);
        js::rows(&results)
    }
}
