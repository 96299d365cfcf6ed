//! [`Services`] over a Worker's `env`.

use super::{CfObjects, CfWorkflowClient, Transport, D1};
use crate::object::{ObjectCallError, ObjectNamespace};
use crate::sql::{Database, SqlError};
use crate::workflow::{Services, WorkflowClient, WorkflowClientError, WorkflowClientErrorKind};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The Worker var choosing how Durable Objects are called: `rpc` (default) or `fetch`.
pub const OBJECT_TRANSPORT_VAR: &str = "OBJECT_TRANSPORT";

/// A Worker's `env` as [`Services`]: bindings and vars by name.
pub struct CfServices {
    env: JsValue,
}

impl CfServices {
    /// `env` as the platform passes it (`worker::Env` derefs to it).
    pub fn new(env: JsValue) -> Self {
        Self { env }
    }

    fn binding(&self, name: &str) -> Option<JsValue> {
        js_sys::Reflect::get(&self.env, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
}

impl Services for CfServices {
    fn database(&self, binding: &str) -> Result<Rc<dyn Database>, SqlError> {
        self.binding(binding)
            .map(|b| Rc::new(D1::new(b)) as Rc<dyn Database>)
            .ok_or_else(|| SqlError::new(format!("no D1 binding named {binding}")))
    }

    fn http(&self) -> Rc<dyn crate::http::HttpClient> {
        Rc::new(super::http::CfHttp)
    }

    fn workflow(&self, binding: &str) -> Result<Rc<dyn WorkflowClient>, WorkflowClientError> {
        self.binding(binding)
            .map(|b| Rc::new(CfWorkflowClient::new(b)) as Rc<dyn WorkflowClient>)
            .ok_or_else(|| {
                WorkflowClientError::of(
                    WorkflowClientErrorKind::NotFound,
                    format!("no workflow binding named {binding}"),
                )
            })
    }

    fn var(&self, name: &str) -> Option<String> {
        self.binding(name).and_then(|v| v.as_string())
    }

    fn objects(&self, binding: &str) -> Result<Rc<dyn ObjectNamespace>, ObjectCallError> {
        let env: worker::Env = self.env.clone().unchecked_into();
        // Durable Object RPC unless the deployment says otherwise (for comparing the two).
        let transport = match self.var(OBJECT_TRANSPORT_VAR).as_deref() {
            Some("fetch") => Transport::Fetch,
            _ => Transport::Rpc,
        };
        env.durable_object(binding)
            .map(|namespace| {
                Rc::new(CfObjects::new(namespace, transport)) as Rc<dyn ObjectNamespace>
            })
            .map_err(|e| ObjectCallError::not_found(format!("no object namespace {binding}: {e}")))
    }
}
