//! Attribute macros of the incidentd framework. Thin: each parses and validates its options
//! (durations, backoffs and ranges checked here, errors spanned on the offending token and
//! reported together), then emits registrations through `::incidentd_runtime::__private`.
//!
//! | macro | on | registers |
//! | --- | --- | --- |
//! | `#[sender(name = "..")]` | `impl SenderTrait for Type` | one handler per implemented method (event) |
//! | `#[dispatcher(name = "..")]` | same | same, listed as a dispatcher |
//! | `#[step(..)]` | a handler method inside those | its overrides |
//! | `#[step(name = "..")]` | `async fn(input) -> Result<T, EffectError>` | a durable step (`NAME_IN_CAPS.call(&run, input)`) |
//! | `#[workflow(class = "..", binding = "..", name = "..")]` | `async fn(run, payload)` | a Workflow class |
//!
//! Shared options: `retries(limit = 5, delay = "10 seconds", backoff = "exponential")`,
//! `timeout = "10 minutes"`, `idempotency_key = "{field}:{field}"`. Defaults at workflow and
//! sender level, overrides at step level.

mod options;
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

/// Declares a sender: `#[sender(name = "slack", retries(limit = 3, delay = "1 second"))]` on
/// `impl IncidentSender for SlackSender`. Each method implemented is the handler of one event
/// type (method `incident_created` handles `INCIDENT_CREATED`).
#[proc_macro_attribute]
pub fn sender(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = sender::expand(attr.into(), item.clone().into(), sender::Kind::Sender);
    expand(item, result, sender::strip_step_attributes)
}

/// Declares a dispatcher: like [`sender`], listed as a dispatcher (a cross-cutting effect such
/// as the status page rather than an adapter's own output).
#[proc_macro_attribute]
pub fn dispatcher(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = sender::expand(attr.into(), item.clone().into(), sender::Kind::Dispatcher);
    expand(item, result, sender::strip_step_attributes)
}

/// Declares a durable step function, or (inside a `#[sender]`/`#[dispatcher]` impl) overrides
/// one handler's options.
#[proc_macro_attribute]
pub fn step(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = step::expand(attr.into(), item.clone().into());
    expand(item, result, |item| item)
}

/// Declares a Cloudflare Workflow class whose body is this async fn.
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = workflow::expand(attr.into(), item.clone().into());
    expand(item, result, |item| item)
}
