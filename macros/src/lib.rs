//! Attribute macros of the sluice framework. Use them through the runtime, which
//! re-exports them: `use sluice::prelude::*;`.
//!
//! Each macro reads its arguments into a typed struct (`SenderArgs`, `HandlerArgs`, `StepArgs`,
//! `WorkflowArgs`), reporting every mistake at once, spanned on the offending token (durations,
//! backoffs and ranges are checked by the `sluice-policy` crate, the same parser that checks
//! `retry-policies.toml`); then it generates registrations through
//! `::sluice::__private` (or `<path>::__private` with `crate = "<path>"`, for a crate that
//! reaches the framework through a re-export, as serde's and tokio's `crate` option). On error
//! the item is re-emitted beside the errors, so the rest of the crate still type-checks.
//!
//! | macro | on | registers |
//! | --- | --- | --- |
//! | `#[sender(name = "..")]` | `impl SenderTrait for Type` | one handler per implemented method |
//! | `#[dispatcher(name = "..")]` | same | same, listed as a dispatcher |
//! | `#[step(..)]` | a handler method inside those | its overrides |
//! | `#[step(name = "..")]` | `async fn(ctx, input) -> Result<T, EffectError>` | a durable step (`NAME_IN_CAPS.call(&run, input)`) |
//! | `#[workflow(class = "..", binding = "..", name = "..")]` | `async fn(run, payload)` | a Workflow class |
//! | `retry_policies!(file = "..", env = "..")` | an application's retry-policy file | its overrides, with file and line |
//!
//! Shared options: `retries(limit = 5, delay = "10 seconds", backoff = "exponential")`,
//! `timeout = "10 minutes"`, `idempotency_key = "{field}:{field}"`, `crate = "::path"`.
//! Defaults at workflow and sender level, overrides at step level. An unknown option names the
//! nearest valid one.

// The framework's public API is documented for users who never read its source.
#![deny(missing_docs)]

mod args;
mod attr;
mod errors;
mod policy_args;
mod policy_file;
mod sender;
mod step;
mod template;
mod workflow;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;

/// On error, re-emit the item (so the rest of the crate still type-checks and IDEs keep
/// working) beside the accumulated `compile_error!`s.
fn expand(
    item: TokenStream,
    result: syn::Result<TokenStream2>,
    fallback: impl FnOnce(TokenStream2) -> TokenStream2,
) -> TokenStream {
    match result {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            let item = fallback(item.into());
            let error = error.to_compile_error();
            quote::quote!(#item #error).into()
        }
    }
}

/// Declares a sender: each method implemented in this trait impl becomes the handler of one
/// event type, run as its own durable step (`<name>.<method>:<event id>`) whenever the
/// workflow fans that event out.
///
/// The event type comes from the handler's parameter type: `event: &Envelope<OrderShipped>`
/// handles `<Envelope<OrderShipped> as FromSenderCall>::EVENT`, e.g. `"ORDER_SHIPPED"`.
/// The type must implement `Default` (a fresh value serves every delivery).
///
/// Options: `name` (required, unique among senders and dispatchers), `retries(..)`, `timeout`,
/// `requires_var`, `crate`,
/// `idempotency_key` (default `"{stream_id}:{event_id}:<name>.<method>"`: the stream, the
/// event and the effect, so a repeat in another workflow instance is recognised); `#[step(..)]` on a
/// method overrides `retries`, `timeout` and `idempotency_key` for that handler.
///
/// ```
/// use sluice::prelude::*;
/// use serde_json::json;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// pub struct OrderShipped { pub order_id: String, pub carrier: String }
/// impl EventKind for OrderShipped { const EVENT_TYPE: &'static str = "ORDER_SHIPPED"; }
/// impl StreamEvent for OrderShipped { const WORKFLOW: &'static str = "OrderWorkflow"; }
///
/// /// The events a shop's effects may handle; each default does nothing.
/// #[allow(async_fn_in_trait)]
/// pub trait ShopSender {
///     async fn order_shipped(
///         &self,
///         ctx: &SendContext,
///         event: &Envelope<OrderShipped>,
///     ) -> Result<(), EffectError> {
///         let _ = (ctx, event);
///         Ok(())
///     }
/// }
///
/// #[derive(Default)]
/// pub struct Mailer;
///
/// #[sender(
///     name = "mailer",
///     requires_var = "MAILER_URL",
///     retries(limit = 3, delay = "1 second"),
///     timeout = "30 seconds"
/// )]
/// impl ShopSender for Mailer {
///     #[step(retries(limit = 10), idempotency_key = "{stream_id}:{event_id}:mail")]
///     async fn order_shipped(
///         &self,
///         ctx: &SendContext,
///         event: &Envelope<OrderShipped>,
///     ) -> Result<(), EffectError> {
///         let url = ctx.services.var("MAILER_URL").unwrap_or_default();
///         let body = json!({ "order": event.order_id, "carrier": event.carrier });
///         let request =
///             HttpRequest::post_json(&url, &body).header("idempotency-key", &ctx.idempotency_key);
///         ctx.services.http().send(request).await?.error_for_status("mailer")?;
///         Ok(())
///     }
/// }
///
/// // Registered: one handler, its own `#[step]` over the sender's defaults.
/// let effects = sluice::registry::effects("OrderWorkflow");
/// let mailer = effects.iter().find(|e| e.name == "mailer").unwrap();
/// let handler = &mailer.handlers[0];
/// assert_eq!(handler.event, "ORDER_SHIPPED");
/// assert_eq!(handler.step_name(mailer), "mailer.order_shipped");
/// assert_eq!(handler.config.retries.limit, 10);
/// assert_eq!(handler.config.timeout, Duration::from_secs(30));
/// ```
#[proc_macro_attribute]
pub fn sender(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = sender::expand(attr.into(), item.clone().into(), sender::Kind::Sender);
    expand(item, result, sender::strip_step_attributes)
}

/// Declares a dispatcher: exactly like [`macro@sender`], listed as a dispatcher (a cross-cutting
/// effect such as an audit log rather than an adapter's own output). Sender and dispatcher
/// names share one namespace.
///
/// ```
/// # use sluice::prelude::*;
/// # use serde_json::json;
/// #
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # pub struct OrderShipped { pub order_id: String, pub carrier: String }
/// # impl EventKind for OrderShipped { const EVENT_TYPE: &'static str = "ORDER_SHIPPED"; }
/// # impl StreamEvent for OrderShipped { const WORKFLOW: &'static str = "OrderWorkflow"; }
/// #
/// # /// The events a shop's effects may handle; each default does nothing.
/// # #[allow(async_fn_in_trait)]
/// # pub trait ShopSender {
/// #     async fn order_shipped(
/// #         &self,
/// #         ctx: &SendContext,
/// #         event: &Envelope<OrderShipped>,
/// #     ) -> Result<(), EffectError> {
/// #         let _ = (ctx, event);
/// #         Ok(())
/// #     }
/// # }
/// #[derive(Default)]
/// pub struct AuditLog;
///
/// #[dispatcher(name = "audit-log", retries(limit = 8, backoff = "linear"))]
/// impl ShopSender for AuditLog {
///     async fn order_shipped(
///         &self,
///         ctx: &SendContext,
///         event: &Envelope<OrderShipped>,
///     ) -> Result<(), EffectError> {
///         let retry = |e: sluice::sql::SqlError| EffectError::retryable(e.to_string());
///         let db = ctx.services.database("AUDIT").map_err(retry)?;
///         let row = vec![event.order_id.clone().into(), ctx.idempotency_key.clone().into()];
///         db.execute("INSERT OR IGNORE INTO audit (order_id, key) VALUES (?, ?)", row)
///             .await
///             .map_err(retry)
///     }
/// }
///
/// let effects = sluice::registry::effects("OrderWorkflow");
/// let audit = effects.iter().find(|e| e.name == "audit-log").unwrap();
/// assert_eq!(audit.kind, sluice::registry::EffectKind::Dispatcher);
/// ```
#[proc_macro_attribute]
pub fn dispatcher(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = sender::expand(attr.into(), item.clone().into(), sender::Kind::Dispatcher);
    expand(item, result, sender::strip_step_attributes)
}

/// Declares a durable step function, or (inside a `#[sender]`/`#[dispatcher]` impl) overrides
/// one handler's options.
///
/// On a free `async fn(ctx: StepContext, input: Input) -> Result<Output, EffectError>` it adds
/// a static named after the function in capitals, through which a workflow runs it as one
/// `step.do`. `Input` must be `Clone`, `Output` serialisable (the engine records it). Options:
/// `name` (required, unique), `retries(..)`, `timeout` (default: the workflow's),
/// `idempotency_key` over the input's fields and `{instance_id}` (default
/// `"{instance_id}:<name>"`), `crate`. List the step in its workflow's `steps = [..]`: a call
/// in the workflow's body of a step it does not list is a compile error, and a step no
/// workflow lists fails `registry::validate`.
///
/// ```
/// use sluice::prelude::*;
///
/// #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// pub struct Reservation { pub order_id: String, pub sku: String, pub quantity: u32 }
///
/// #[step(name = "stock.reserve", retries(limit = 2), idempotency_key = "{order_id}:{sku}")]
/// pub async fn reserve_stock(
///     ctx: StepContext,
///     reservation: Reservation,
/// ) -> Result<String, EffectError> {
///     // A request to the warehouse, keyed with `ctx.idempotency_key`, would go here.
///     let _ = reservation.quantity;
///     Ok(ctx.idempotency_key)
/// }
///
/// // in a #[workflow(.., steps = [reserve_stock])] body:
/// // let key = RESERVE_STOCK.call(&run, reservation).await?;
/// let declared = sluice::registry::declared_steps();
/// assert_eq!(declared[0].def.name, "stock.reserve");
/// assert_eq!(declared[0].def.idempotency_key, "{order_id}:{sku}");
/// ```
///
/// `#[step]` on a handler takes `retries(..)`, `timeout` and `idempotency_key` only; the event
/// it handles comes from its parameter type (the former `event` option is an error).
#[proc_macro_attribute]
pub fn step(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = step::expand(attr.into(), item.clone().into());
    expand(item, result, |item| item)
}

/// Declares a Cloudflare Workflow class whose body is this
/// `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`.
///
/// Options: `class` (the exported JS class), `binding` (the env binding) and `name` (wrangler's
/// workflow name), all required; `retries(..)` and `timeout`, the defaults of its steps;
/// `steps = [..]`, its `#[step]` functions in the order it runs them (for the manifest);
/// `fans_out = true` if it fans events out to the senders and dispatchers;
/// `waits_for_events = true` if it waits for events (the manifest draws its wait loop, and the
/// native host refuses a wait in a workflow that does not declare it); `crate`. `Payload` must
/// be `Deserialize` and `JsonSchema`.
///
/// ```
/// # use sluice::prelude::*;
/// #
/// # #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// # pub struct Reservation { pub order_id: String, pub sku: String, pub quantity: u32 }
/// #
/// # #[step(name = "stock.reserve", retries(limit = 2), idempotency_key = "{order_id}:{sku}")]
/// # pub async fn reserve_stock(
/// #     ctx: StepContext,
/// #     reservation: Reservation,
/// # ) -> Result<String, EffectError> {
/// #     // A request to the warehouse, keyed with `ctx.idempotency_key`, would go here.
/// #     let _ = reservation.quantity;
/// #     Ok(ctx.idempotency_key)
/// # }
/// use serde_json::{json, Value};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// pub struct Order { pub order_id: String, pub sku: String, pub quantity: u32 }
///
/// #[workflow(
///     class = "StockWorkflow",
///     binding = "STOCK_WORKFLOW",
///     name = "stock-workflow",
///     retries(limit = 3, delay = "2 seconds"),
///     steps = [reserve_stock]
/// )]
/// pub async fn stock_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
///     let Order { order_id, sku, quantity } = order;
///     let reservation = Reservation { order_id, sku, quantity };
///     Ok(json!({ "reserved": RESERVE_STOCK.call(&run, reservation).await? }))
/// }
///
/// let def = sluice::registry::workflow("StockWorkflow").unwrap();
/// assert_eq!((def.binding, def.name), ("STOCK_WORKFLOW", "stock-workflow"));
/// assert_eq!(def.steps[0].name, "stock.reserve");
/// ```
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = workflow::expand(attr.into(), item.clone().into());
    expand(item, result, |item| item)
}

/// Declares the invoking crate's retry-policy file: overrides of its steps', senders' and
/// handlers' policies by name, without touching code.
///
/// `file` is relative to the crate's directory; `env` (optional) names a variable that, when
/// set and not empty, names another file instead (an operator's override). The file is read
/// and checked when the crate is compiled (a bad value fails its build, naming the file and the
/// key path); each entry is registered with its file and line, and a name no linked code
/// registers is an error of `registry::validate` naming `file:line`, also run by a unit test
/// this macro adds to the crate. `crate = "::path"` as for the attribute macros.
///
/// # Examples
///
/// A file with one entry, for the `payment.refund` step:
///
/// ```toml
/// [policies."payment.refund"]
/// retries = { limit = 8, max_delay = "1 minute" }
/// timeout = "30 seconds"
/// ```
///
/// declared by the crate (which usually writes `file = "retry-policies.toml"`, beside its
/// `Cargo.toml`), replaces what its entry sets and keeps the rest:
///
/// ```
/// use sluice::{config, Duration, StepConfig};
///
/// sluice::retry_policies!(file = "tests/doc/retry-policies.toml", env = "SHOP_RETRY_POLICIES");
///
/// // What the step's attribute says, here the engine's defaults.
/// let attribute = StepConfig::WORKFLOWS_DEFAULT;
/// let effective = config::effective("payment.refund", None, attribute);
/// assert_eq!(effective.retries.limit, 8);
/// assert_eq!(effective.retries.max_delay, Some(Duration::from_secs(60)));
/// assert_eq!(effective.timeout, Duration::from_secs(30));
/// assert_eq!(effective.retries.delay, attribute.retries.delay, "not set in the file");
/// assert_eq!(config::source("payment.refund", None), config::FILE);
/// ```
#[proc_macro]
pub fn retry_policies(input: TokenStream) -> TokenStream {
    match policy_file::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
