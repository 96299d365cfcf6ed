//! `#[workflow]` on `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`:
//! registers a Cloudflare Workflow class whose `run` decodes the payload and calls the fn.

use crate::args::WorkflowArgs;
use crate::errors::Errors;
use crate::policy_args::{config_tokens, resolve};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, FnArg, Item, ItemFn, Pat, Type};

/// A valid workflow function, ready for code generation.
struct Workflow {
    function: ItemFn,
    args: WorkflowArgs,
    payload_ty: Type,
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let function = match syn::parse2::<Item>(item)? {
        Item::Fn(f) => f,
        other => {
            return Err(syn::Error::new(
                other.span(),
                "#[workflow] goes on an async fn",
            ))
        }
    };
    let sig = &function.sig;
    let args = errors.ok(WorkflowArgs::parse(attr, sig.ident.span()));
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "a #[workflow] function must be async");
    }
    let payload_ty = match (sig.inputs.len(), sig.inputs.iter().nth(1)) {
        (2, Some(FnArg::Typed(pat))) => Some((*pat.ty).clone()),
        _ => {
            errors.at(
                sig.paren_token.span.join(),
                "a #[workflow] function is `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`",
            );
            None
        }
    };
    if let Some(args) = &args {
        unlisted_steps(&function, &args.steps, &mut errors);
    }
    errors.finish(())?;
    let workflow = Workflow {
        args: args.expect("reported when invalid"),
        payload_ty: payload_ty.expect("reported when missing"),
        function,
    };
    Ok(generate(&workflow))
}

/// `STEP.call(run, ..)` / `STEP.call(&run, ..)` in the body, `run` being the workflow's own
/// run parameter: the calls of `#[step]` statics this expansion can see.
struct StepCalls<'a> {
    run: &'a syn::Ident,
    found: Vec<syn::Ident>,
}

impl<'ast> Visit<'ast> for StepCalls<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let is_run = |arg: &Expr| match arg {
            Expr::Reference(r) => matches!(&*r.expr, Expr::Path(p) if p.path.is_ident(self.run)),
            Expr::Path(p) => p.path.is_ident(self.run),
            _ => false,
        };
        if call.method == "call" && call.args.first().is_some_and(is_run) {
            if let Expr::Path(receiver) = &*call.receiver {
                if let Some(last) = receiver.path.segments.last() {
                    let text = last.ident.to_string();
                    let is_static = text.chars().any(|c| c.is_ascii_uppercase())
                        && !text.chars().any(|c| c.is_ascii_lowercase());
                    if is_static {
                        self.found.push(last.ident.clone());
                    }
                }
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// A step the body calls must be in `steps = [..]`, or it would run and yet be missing from
/// the manifest. Calls made in helper functions are out of this expansion's sight; a step no
/// workflow lists at all fails `registry::validate`.
fn unlisted_steps(function: &ItemFn, steps: &[syn::Path], errors: &mut Errors) {
    let Some(FnArg::Typed(first)) = function.sig.inputs.first() else {
        return;
    };
    let Pat::Ident(run) = &*first.pat else { return };
    let mut calls = StepCalls {
        run: &run.ident,
        found: Vec::new(),
    };
    calls.visit_block(&function.block);
    let listed: Vec<String> = steps
        .iter()
        .filter_map(|p| p.segments.last())
        .map(|s| s.ident.to_string().to_ascii_uppercase())
        .collect();
    let mut reported: Vec<String> = Vec::new();
    for called in calls.found {
        let name = called.to_string();
        if listed.contains(&name) || reported.contains(&name) {
            continue;
        }
        errors.spanned(
            &called,
            format!(
                "the step `{name}` is called here but not listed in `steps = [..]`; add `{}` to \
                 the list (the manifest shows only listed steps)",
                name.to_ascii_lowercase()
            ),
        );
        reported.push(name);
    }
}

fn generate(workflow: &Workflow) -> TokenStream {
    let Workflow {
        function,
        args,
        payload_ty,
    } = workflow;
    let ident = &function.sig.ident;
    let (class, binding, name) = (&args.class, &args.binding, &args.name);
    let krate = &args.krate;
    let defaults = config_tokens(resolve(&[&args.policy]), krate);
    let fans_out = args.fans_out;
    let waits_for_events = args.waits_for_events;
    let steps = args.steps.iter().map(|path| {
        let mut path = path.clone();
        if let Some(last) = path.segments.last_mut() {
            last.ident = format_ident!(
                "{}",
                last.ident.to_string().to_ascii_uppercase(),
                span = last.ident.span()
            );
        }
        quote!(&#path.def)
    });
    // Spanned on the payload type, so an unmet bound is reported on the signature, and once:
    // both uses are the same obligation at the same span.
    let schema = quote_spanned! {payload_ty.span()=>
        #krate::__private::schema::<#payload_ty>
    };
    let decode = quote_spanned! {payload_ty.span()=>
        #krate::__private::decode_payload::<#payload_ty>
    };
    quote! {
        #function

        #krate::__private::inventory::submit! {
            #krate::__private::WorkflowDef {
                class_name: #class,
                binding: #binding,
                name: #name,
                defaults: #defaults,
                steps: &[#(#steps),*],
                fans_out: #fans_out,
                waits_for_events: #waits_for_events,
                // The manifest is built natively; wasm builds leave the schema generator out.
                payload_schema: {
                    #[cfg(not(target_arch = "wasm32"))]
                    let schema: fn() -> #krate::__private::serde_json::Value = #schema;
                    #[cfg(target_arch = "wasm32")]
                    let schema: fn() -> #krate::__private::serde_json::Value =
                        #krate::__private::no_schema;
                    schema
                },
                run: |run| ::std::boxed::Box::pin(async move {
                    let payload = #decode(&run)?;
                    #ident(run, payload).await
                }),
            }
        }
    }
}
