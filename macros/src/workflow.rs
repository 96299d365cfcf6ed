//! `#[workflow]` on `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`:
//! registers a Cloudflare Workflow class whose `run` decodes the payload and calls the fn.

use crate::args::WorkflowArgs;
use crate::errors::Errors;
use crate::policy_args::{config_tokens, resolve};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Item, ItemFn, Type};

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
    errors.finish(())?;
    let workflow = Workflow {
        args: args.expect("reported when invalid"),
        payload_ty: payload_ty.expect("reported when missing"),
        function,
    };
    Ok(generate(&workflow))
}

fn generate(workflow: &Workflow) -> TokenStream {
    let Workflow {
        function,
        args,
        payload_ty,
    } = workflow;
    let ident = &function.sig.ident;
    let (class, binding, name) = (&args.class, &args.binding, &args.name);
    let defaults = config_tokens(resolve(&[&args.policy]));
    let fans_out = args.fans_out;
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
        ::sluice::__private::schema::<#payload_ty>
    };
    let decode = quote_spanned! {payload_ty.span()=>
        ::sluice::__private::decode_payload::<#payload_ty>
    };
    quote! {
        #function

        ::sluice::__private::inventory::submit! {
            ::sluice::__private::WorkflowDef {
                class_name: #class,
                binding: #binding,
                name: #name,
                defaults: #defaults,
                steps: &[#(#steps),*],
                fans_out: #fans_out,
                // The manifest is built natively; wasm builds leave the schema generator out.
                payload_schema: {
                    #[cfg(not(target_arch = "wasm32"))]
                    let schema: fn() -> ::sluice::__private::serde_json::Value = #schema;
                    #[cfg(target_arch = "wasm32")]
                    let schema: fn() -> ::sluice::__private::serde_json::Value =
                        ::sluice::__private::no_schema;
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
