//! sluice: a workflow-as-code runtime for Cloudflare Workers.
//!
//! Layers, from the bottom:
//! - vocabulary: [`duration`], [`retry`] (Cloudflare's `step.do` config; both from the
//!   dependency-free `sluice-policy` crate), [`error`], [`event`] (event kinds and the
//!   generic [`Envelope`] handlers take);
//! - ports the application is written against: [`sql`] (Durable Object storage and D1),
//!   [`step`](mod@step) (durable steps), [`workflow`](mod@workflow) (services and workflow clients);
//! - engines: [`outbox`] (the Durable Object transactional outbox), [`fanout`] (delivering
//!   events to senders and dispatchers: [`fanout::dispatch`], [`fanout::Lanes`]) and
//!   [`registry`];
//! - hosts: `cloudflare` (wasm32 only: `wasm_bindgen` bindings to the platform) and
//!   `native` (in-process SQLite, for tests).
//!
//! Application code needs one import: `use sluice::prelude::*;` brings the
//! attribute macros ([`sender`], [`dispatcher`], [`step`](macro@step), [`workflow`](macro@workflow)), the types their
//! functions are written with, the event envelope and the fan-out entry point.
//!
//! ```no_run
//! use sluice::prelude::*;
//! use serde_json::{json, Value};
//!
//! // An event kind: its wire name and the workflow that fans it out.
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! pub struct Paid { pub invoice_id: String, pub cents: u64 }
//! impl EventKind for Paid { const EVENT_TYPE: &'static str = "PAID"; }
//! impl StreamEvent for Paid { const WORKFLOW: &'static str = "BillingWorkflow"; }
//!
//! // The events an effect may handle; each default does nothing.
//! #[allow(async_fn_in_trait)]
//! pub trait BillingSender {
//!     async fn paid(&self, ctx: &SendContext, event: &Envelope<Paid>) -> Result<(), EffectError> {
//!         let _ = (ctx, event);
//!         Ok(())
//!     }
//! }
//!
//! // A sender: one durable, retried step per event it handles.
//! #[derive(Default)]
//! pub struct Receipt;
//!
//! #[sender(name = "receipt", retries(limit = 5, delay = "2 seconds"))]
//! impl BillingSender for Receipt {
//!     async fn paid(&self, ctx: &SendContext, event: &Envelope<Paid>) -> Result<(), EffectError> {
//!         let url = ctx.services.var("RECEIPT_URL").unwrap_or_default();
//!         let request = HttpRequest::post_json(&url, &json!({ "invoice": event.invoice_id }))
//!             .header("idempotency-key", &ctx.idempotency_key);
//!         ctx.services.http().send(request).await?.error_for_status("receipt")?;
//!         Ok(())
//!     }
//! }
//!
//! // The workflow: fans the event out to every sender of its class.
//! #[workflow(class = "BillingWorkflow", binding = "BILLING_WORKFLOW", name = "billing", fans_out = true)]
//! pub async fn billing(run: WorkflowRun, paid: Paid) -> Result<Value, WorkflowError> {
//!     let mut stream = EventStream::new(paid.invoice_id.clone());
//!     stream.push(&paid)?;
//!     let dispatched = dispatch(&run, &stream).await?;
//!     Ok(json!({ "complete": dispatched.is_complete() }))
//! }
//! ```

// The framework's public API is documented for users who never read its source.
#![deny(missing_docs)]

mod bounds;
pub mod clock;
pub mod config;
pub mod duration;
pub mod error;
pub mod event;
pub mod fanout;
pub mod http;
pub mod json;
pub mod log;
pub mod manifest;
pub mod object;
pub mod outbox;
pub mod registry;
pub mod retry;
pub mod sql;
pub mod step;
pub mod typed_step;
mod validate;
pub mod workflow;

#[cfg(target_arch = "wasm32")]
pub mod cloudflare;

#[cfg(all(not(target_arch = "wasm32"), feature = "native-sqlite"))]
pub mod native;

pub use duration::Duration;
pub use error::{EffectError, Retry, StepError};
pub use event::{Envelope, EventKind, EventMessage, StreamEvent};
pub use retry::{Backoff, RetryPolicy, StepConfig};
pub use sluice_macros::{dispatcher, retry_policies, sender, step, workflow};
pub use sluice_policy::PolicyPatch;

/// A boxed, single-threaded future: Workers run one thread per isolate, so nothing is `Send`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// Everything a sender, dispatcher, step or workflow is written with.
pub mod prelude {
    pub use crate::error::{EffectError, StepError};
    pub use crate::event::{Envelope, EventKind, EventMessage, StreamEvent};
    pub use crate::fanout::{dispatch, Dispatched, EventStream};
    pub use crate::http::{HttpRequest, HttpResponse};
    pub use crate::registry::{FromSenderCall, SendContext, SenderCall};
    pub use crate::typed_step::StepContext;
    pub use crate::workflow::{WorkflowError, WorkflowRun};
    pub use crate::{dispatcher, sender, step, workflow};
    pub use crate::{Backoff, Duration};
}

/// Re-exported for registration code.
#[doc(hidden)]
pub mod __private {
    pub use crate::bounds::{check_step_input, check_step_output, new_effect};
    pub use crate::config::{PolicyFileDef, PolicyFileEntry, PolicyOverride};
    pub use crate::registry::{
        DeclaredStep, EffectDef, EffectKind, FromSenderCall, HandlerDef, ObjectClassDef,
        SendContext, SenderCall, StepDef, WorkflowDef,
    };
    pub use crate::retry::{Backoff, RetryPolicy, StepConfig};
    pub use crate::typed_step::{StepContext, TypedStep};
    pub use crate::workflow::{WorkflowError, WorkflowRun};
    pub use crate::{BoxFuture, Duration, EffectError};
    pub use inventory;
    pub use serde_json;

    /// The JSON Schema of a payload type, for the manifest.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn schema<T: crate::bounds::WorkflowPayload>() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
    }

    /// What wasm builds register instead of a payload schema (the manifest is built natively).
    pub fn no_schema() -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Decodes a workflow's input; a payload of the wrong shape is a bug upstream, not a retry.
    pub fn decode_payload<T: crate::bounds::WorkflowPayload>(
        run: &WorkflowRun,
    ) -> Result<T, WorkflowError> {
        crate::json::from_value(&run.payload)
            .map_err(|e| WorkflowError(format!("invalid workflow payload: {e}")))
    }
}
