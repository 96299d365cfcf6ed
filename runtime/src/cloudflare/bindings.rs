//! Raw externs. Names follow the JS API; safe wrappers live in the sibling modules.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The `step` argument of `WorkflowEntrypoint.run`.
    pub type WorkflowStep;

    #[wasm_bindgen(method, catch, js_name = "do")]
    pub fn do_with_config(
        this: &WorkflowStep,
        name: &str,
        config: &JsValue,
        callback: &Function,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn sleep(this: &WorkflowStep, name: &str, duration: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = "waitForEvent")]
    pub fn wait_for_event(
        this: &WorkflowStep,
        name: &str,
        options: &JsValue,
    ) -> Result<Promise, JsValue>;

    /// A workflow binding (`env.ORDER_WORKFLOW`, say).
    pub type WorkflowBinding;

    #[wasm_bindgen(method, catch)]
    pub fn create(this: &WorkflowBinding, options: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn get(this: &WorkflowBinding, id: &str) -> Result<Promise, JsValue>;

    /// A workflow instance handle.
    pub type WorkflowInstance;

    #[wasm_bindgen(method, catch, js_name = "sendEvent")]
    pub fn send_event(this: &WorkflowInstance, event: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn status(this: &WorkflowInstance) -> Result<Promise, JsValue>;

    /// `ctx.storage` of a SQLite-backed Durable Object.
    pub type DurableStorage;

    #[wasm_bindgen(method, getter)]
    pub fn sql(this: &DurableStorage) -> SqlStorage;

    /// Runs the callback in a transaction; a throw rolls every write back.
    #[wasm_bindgen(method, catch, js_name = "transactionSync")]
    pub fn transaction_sync(
        this: &DurableStorage,
        callback: &mut dyn FnMut() -> JsValue,
    ) -> Result<JsValue, JsValue>;

    /// Storage operation; the returned promise need not be awaited for the write to be part
    /// of the current implicit transaction.
    #[wasm_bindgen(method, catch, js_name = "setAlarm")]
    pub fn set_alarm(this: &DurableStorage, scheduled_ms: f64) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = "deleteAlarm")]
    pub fn delete_alarm(this: &DurableStorage) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = "deleteAll")]
    pub fn delete_all(this: &DurableStorage) -> Result<Promise, JsValue>;

    pub type SqlStorage;

    #[wasm_bindgen(method, catch, variadic)]
    pub fn exec(this: &SqlStorage, query: &str, bindings: &Array) -> Result<SqlCursor, JsValue>;

    pub type SqlCursor;

    #[wasm_bindgen(method, js_name = "toArray")]
    pub fn to_array(this: &SqlCursor) -> Array;

    /// A D1 binding (`env.DB`).
    pub type D1Binding;

    #[wasm_bindgen(method, catch)]
    pub fn prepare(this: &D1Binding, query: &str) -> Result<D1Statement, JsValue>;

    pub type D1Statement;

    #[wasm_bindgen(method, catch, variadic)]
    pub fn bind(this: &D1Statement, values: &Array) -> Result<D1Statement, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn all(this: &D1Statement) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn run(this: &D1Statement) -> Result<Promise, JsValue>;

    /// `console.error`, so failures reach `wrangler tail` and the local log.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub fn console_error(message: &str);

    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(message: &str);
}

/// `Reflect.construct(ctor, [message])`.
pub fn construct_error(ctor: &Function, message: &str) -> JsValue {
    let args = Array::of1(&JsValue::from_str(message));
    js_sys::Reflect::construct(ctor, &args).unwrap_or_else(|_| js_sys::Error::new(message).into())
}
