//! The Cloudflare host: `wasm_bindgen` bindings to the platform objects `worker` 0.8.7 does not
//! cover (Workflows, `transactionSync`, a synchronous `setAlarm`), and the implementations of
//! the runtime's ports over them. The only module of the workspace that touches JS values.

mod bindings;
mod d1;
mod host;
mod http;
mod js;
mod objects;
mod services;
mod step;
mod storage;
mod workflows;

pub use d1::D1;
pub use host::WorkflowHost;
pub use objects::{serve_object_call, CfObjects, Transport, OBJECT_CALL_PATH};
pub use services::{CfServices, OBJECT_TRANSPORT_VAR};
pub use step::CfStep;
pub use storage::DoStorage;
pub use workflows::CfWorkflowClient;

pub(crate) fn log_error(message: &str) {
    bindings::console_error(message);
}

pub(crate) fn log_info(message: &str) {
    bindings::console_log(message);
}
