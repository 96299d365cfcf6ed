//! The one registry: workflows, steps and effects (senders and dispatchers) register
//! themselves with `inventory` (the attribute macros emit the registrations), and everything
//! derived reads it: the dispatch at run time, the generated JS entry, the manifest.

use crate::config;
use crate::error::EffectError;
use crate::retry::StepConfig;
use crate::workflow::{Services, WorkflowError, WorkflowRun};
use crate::BoxFuture;
use serde_json::Value;
use std::rc::Rc;

/// A Cloudflare Workflow class whose `run` is Rust (`#[workflow]`).
pub struct WorkflowDef {
    /// The exported JS class (`OrderWorkflow`), also wrangler's `class_name`.
    pub class_name: &'static str,
    /// The env binding (`ORDER_WORKFLOW`).
    pub binding: &'static str,
    /// wrangler's workflow `name` (`order-workflow`).
    pub name: &'static str,
    /// Default step config of this workflow's steps (attribute level).
    pub defaults: StepConfig,
    /// Its `#[step]`s, in the order the body runs them.
    pub steps: &'static [&'static StepDef],
    /// Whether it fans events out to the registered senders and dispatchers.
    pub fans_out: bool,
    /// Whether its body waits for events (`waits_for_events = true`): the manifest draws a
    /// wait loop for it, and the native host refuses a wait in a workflow that does not say so.
    pub waits_for_events: bool,
    /// JSON Schema of the payload the instance is created with.
    pub payload_schema: fn() -> Value,
    /// The body: the `#[workflow]` function, its payload decoded from [`WorkflowRun::payload`].
    pub run: fn(WorkflowRun) -> BoxFuture<'static, Result<Value, WorkflowError>>,
}

inventory::collect!(WorkflowDef);

/// A `#[step]` function: one `step.do`.
pub struct StepDef {
    /// The step's name; the engine's step name is this plus the instance of the call.
    pub name: &'static str,
    /// Its config when it declared one; otherwise its workflow's defaults apply.
    pub config: Option<StepConfig>,
    /// The idempotency-key template, e.g. `"{order_id}:{ts}"`.
    pub idempotency_key: &'static str,
}

/// A `#[step]` as declared, whichever workflows list it: [`crate::registry::validate`]
/// reports one that none lists.
pub struct DeclaredStep {
    /// The step's registration.
    pub def: &'static StepDef,
}

inventory::collect!(DeclaredStep);

/// Every declared `#[step]`, sorted by name.
pub fn declared_steps() -> Vec<&'static DeclaredStep> {
    ensure_registered();
    let mut all: Vec<_> = inventory::iter::<DeclaredStep>.into_iter().collect();
    all.sort_by_key(|s| s.def.name);
    all
}

/// Whether an effect is an adapter's sender or a cross-cutting dispatcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectKind {
    /// A `#[sender]`: delivers events to one outside service (an email provider, a webhook).
    Sender,
    /// A `#[dispatcher]`: a cross-cutting effect of the application's own (an audit trail, say).
    Dispatcher,
}

/// A sender or dispatcher (`#[sender]`, `#[dispatcher]`): a set of handlers, one per event
/// type it handles.
pub struct EffectDef {
    /// The name in `#[sender(name = "..")]`: a prefix of step names and a policy-file key.
    /// Unique across the linked crates.
    pub name: &'static str,
    /// Sender or dispatcher.
    pub kind: EffectKind,
    /// The implementing type, as written with its module (`shop::webhook::Webhook`),
    /// so a validation error can say which two effects share a name.
    pub type_path: &'static str,
    /// The workflow class that fans out to it.
    pub workflow: &'static str,
    /// One per trait method it implements, in declaration order.
    pub handlers: &'static [HandlerDef],
    /// `requires_var`: without this Worker var the effect has nothing to do, so the fan-out
    /// runs none of its steps (a step that does nothing still costs a step and its replay).
    pub requires_var: Option<&'static str>,
}

inventory::collect!(EffectDef);

impl EffectDef {
    /// Whether the fan-out runs this effect's handlers with these services.
    pub fn is_enabled(&self, services: &dyn crate::workflow::Services) -> bool {
        self.requires_var
            .is_none_or(|var| services.var(var).is_some_and(|v| !v.is_empty()))
    }
}

/// One handler: the `step.do` an effect runs for one event type.
pub struct HandlerDef {
    /// The event type (`ORDER_SHIPPED`), from the handler's parameter type
    /// ([`FromSenderCall::EVENT`]).
    pub event: &'static str,
    /// The trait method (`order_shipped`), used in step names and config keys.
    pub method: &'static str,
    /// Attribute-level config: the effect's default, overridden by the handler's own.
    pub config: StepConfig,
    /// The idempotency-key template.
    pub idempotency_key: &'static str,
    /// The body: decodes the event and calls the trait method.
    pub run: fn(SenderCall) -> BoxFuture<'static, Result<(), EffectError>>,
}

impl HandlerDef {
    /// The step name prefix (`email.order_shipped`); the event id is appended.
    pub fn step_name(&self, effect: &EffectDef) -> String {
        format!("{}.{}", effect.name, self.method)
    }

    /// Attribute config overridden by `retry-policies.toml`.
    pub fn effective_config(&self, effect: &EffectDef) -> StepConfig {
        config::effective(&self.step_name(effect), Some(effect.name), self.config)
    }
}

/// What a handler receives for one event: the forwarded message and where it sits, before the
/// handler's event parameter is decoded from it (with [`FromSenderCall`]).
///
/// Most handlers never see it: they take an [`Envelope<T>`](crate::Envelope). Implement
/// [`FromSenderCall`] to read it yourself, e.g. for a parameter that keeps the message as it came.
///
/// # Examples
///
/// ```
/// use sluice::prelude::*;
/// use serde_json::Value;
///
/// /// An `ORDER_SHIPPED` event as forwarded, for an audit sender that archives messages verbatim.
/// pub struct RawShipped {
///     pub order_id: String,
///     pub message: Value,
/// }
///
/// impl FromSenderCall for RawShipped {
///     const WORKFLOW: &'static str = "OrderWorkflow";
///     const EVENT: &'static str = "ORDER_SHIPPED";
///
///     fn from_call(call: &SenderCall) -> Result<Self, EffectError> {
///         if call.message["event_type"] != Self::EVENT {
///             // Retrying cannot turn another event into this one.
///             return Err(EffectError::non_retryable("not an ORDER_SHIPPED message"));
///         }
///         Ok(Self { order_id: call.stream_id.clone(), message: (*call.message).clone() })
///     }
/// }
/// ```
#[derive(Clone)]
pub struct SenderCall {
    /// The event's position in its stream (see [`EventMessage::event_id`](crate::EventMessage::event_id)).
    pub event_id: i64,
    /// The stream of events the fan-out carries (for orders, the order id): the same in
    /// every workflow instance that carries it, so it scopes default idempotency keys.
    pub stream_id: String,
    /// The workflow instance fanning out. It changes when a stream moves to a new instance:
    /// a key built on it would not recognise a repeat there.
    pub instance_id: String,
    /// The whole forwarded message.
    pub message: Rc<Value>,
    /// The run's platform services, for the handler's HTTP calls and variables.
    pub services: Rc<dyn Services>,
}

/// Built from a [`SenderCall`] for a handler's typed event argument. The application
/// implements it for its event envelope, e.g. [`Envelope<T>`](crate::Envelope) with `T: EventKind`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event a handler can take",
    label = "a handler's event parameter must be an event envelope, such as `&Envelope<OrderShipped>`",
    note = "a handler's event type comes from this parameter's type (`FromSenderCall::EVENT`), so the type must implement `FromSenderCall`"
)]
pub trait FromSenderCall: Sized {
    /// The workflow class that fans these events out.
    const WORKFLOW: &'static str;
    /// The event type a handler taking this parameter handles (`"ORDER_SHIPPED"`).
    const EVENT: &'static str;
    /// Decodes the parameter from `call`. An `Err` fails the delivery; make it
    /// [non-retryable](EffectError::non_retryable) when retrying cannot make the message decode.
    fn from_call(call: &SenderCall) -> Result<Self, EffectError>;
}

/// The context a handler runs in.
pub struct SendContext {
    /// Derived from the handler's template; stable across retries and redeliveries.
    pub idempotency_key: String,
    /// The event's position in its stream.
    pub event_id: i64,
    /// The run's platform services: `services.http()` for requests, `services.var(..)` for base
    /// URLs and keys.
    pub services: Rc<dyn Services>,
}

// The workspace denies unsafe code; this call is its one audited exception (SAFETY below).
#[allow(unsafe_code)]
pub(crate) fn ensure_registered() {
    #[cfg(target_family = "wasm")]
    {
        // Registrations are constructors; on wasm they run only when `__wasm_call_ctors` is
        // called (see inventory's WebAssembly notes). Calling it from an export tells the
        // linker not to wrap every export with it, so do it exactly once here.
        static ONCE: std::sync::Once = std::sync::Once::new();
        extern "C" {
            fn __wasm_call_ctors();
        }
        // SAFETY: called once per instance before any registry read; inventory's
        // constructors are idempotent.
        ONCE.call_once(|| unsafe { __wasm_call_ctors() });
    }
}

/// Registered workflows, sorted by class name.
pub fn workflows() -> Vec<&'static WorkflowDef> {
    ensure_registered();
    let mut all: Vec<_> = inventory::iter::<WorkflowDef>.into_iter().collect();
    all.sort_by_key(|w| w.class_name);
    all
}

/// The registered workflow whose class (the JS class name) is `class_name`.
pub fn workflow(class_name: &str) -> Option<&'static WorkflowDef> {
    workflows().into_iter().find(|w| w.class_name == class_name)
}

/// The env binding of the registered workflow class `class_name`.
pub fn binding(class_name: &str) -> Option<&'static str> {
    workflow(class_name).map(|w| w.binding)
}

/// Every registered sender and dispatcher, sorted by name.
pub fn all_effects() -> Vec<&'static EffectDef> {
    ensure_registered();
    let mut all: Vec<_> = inventory::iter::<EffectDef>.into_iter().collect();
    all.sort_by_key(|e| e.name);
    all
}

/// Senders and dispatchers a workflow fans out to, sorted by name so fan-out order is stable.
pub fn effects(workflow: &str) -> Vec<&'static EffectDef> {
    all_effects()
        .into_iter()
        .filter(|e| e.workflow == workflow)
        .collect()
}

pub use crate::validate::validate;

/// Every registered step name with its default, for validating the retry-policy file.
pub fn known_policy_names() -> Vec<String> {
    let mut names = Vec::new();
    for w in workflows() {
        for step in w.steps {
            names.push(step.name.to_owned());
        }
    }
    names.extend(declared_steps().iter().map(|s| s.def.name.to_owned()));
    // Every effect, whether or not its workflow is linked (a crate may link only adapters).
    for effect in all_effects() {
        names.push(effect.name.to_owned());
        for handler in effect.handlers {
            names.push(handler.step_name(effect));
        }
    }
    names.sort();
    names.dedup();
    names
}

/// A Durable Object class whose logic is a `#[durable_object]` Rust struct, exposed to
/// Durable Object RPC: the generated entry wraps it in a class extending `DurableObject`
/// (the platform serves RPC only to those) that forwards `fetch`, `alarm` and `rpc_methods`.
pub struct ObjectClassDef {
    /// The exported class, also wrangler's `class_name` (`Order`).
    pub class_name: &'static str,
    /// Synchronous or async methods of the Rust class callable over RPC.
    pub rpc_methods: &'static [&'static str],
}

inventory::collect!(ObjectClassDef);

/// Registered Durable Object classes, sorted by class name.
pub fn object_classes() -> Vec<&'static ObjectClassDef> {
    ensure_registered();
    let mut all: Vec<_> = inventory::iter::<ObjectClassDef>.into_iter().collect();
    all.sort_by_key(|o| o.class_name);
    all
}

/// The wrangler `main` module: re-exports the worker-build output, wraps each registered
/// Durable Object class in a `DurableObject` subclass (for RPC), and declares one
/// `WorkflowEntrypoint` class per registered workflow, delegating `run` to Rust.
pub fn js_entry() -> String {
    let mut out = String::from(
        "// @generated by the manifest generator (`js-entry`).\n\
         // Do not edit: it is derived from the workflow registry, and a test checks it.\n\
         import { DurableObject, WorkflowEntrypoint } from \"cloudflare:workers\";\n\
         import { NonRetryableError } from \"cloudflare:workflows\";\n\
         import { WorkflowHost } from \"../build/index.js\";\n\
         import * as rust from \"../build/index.js\";\n\
         export * from \"../build/index.js\";\n\
         export { default } from \"../build/index.js\";\n",
    );
    // A local export shadows the star export of the same name.
    for o in object_classes() {
        let methods: String = o
            .rpc_methods
            .iter()
            .map(|m| format!("\n  {m}(...args) {{\n    return this.inner.{m}(...args);\n  }}\n"))
            .collect();
        out.push_str(&format!(
            "\nexport class {class} extends DurableObject {{\n  \
             constructor(ctx, env) {{\n    super(ctx, env);\n    \
             this.inner = new rust.{class}(ctx, env);\n  }}\n\n  \
             fetch(request) {{\n    return this.inner.fetch(request);\n  }}\n\n  \
             alarm() {{\n    return this.inner.alarm();\n  }}\n{methods}}}\n",
            class = o.class_name
        ));
    }
    for w in workflows() {
        out.push_str(&format!(
            "\nexport class {class} extends WorkflowEntrypoint {{\n  \
             async run(event, step) {{\n    \
             return await WorkflowHost.run(\"{class}\", this.env, event, step, NonRetryableError);\n  \
             }}\n}}\n",
            class = w.class_name
        ));
    }
    out
}
