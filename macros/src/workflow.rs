//! `#[workflow]` on `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`:
//! registers a Cloudflare Workflow class whose `run` decodes the payload and calls the fn.

use crate::options::{self, config_tokens, Errors, Opt};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, Item};

const WORKFLOW: &[Opt] = &[
    Opt::Class,
    Opt::Binding,
    Opt::Name,
    Opt::Retries,
    Opt::Timeout,
    Opt::Steps,
    Opt::FansOut,
];

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
    let options = match options::parse(attr, WORKFLOW, "workflow") {
        Ok(o) => Some(o),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let at = sig.ident.span();
    let class = options
        .as_ref()
        .and_then(|o| options::require(o.class.clone(), Opt::Class, "workflow", at, &mut errors));
    let binding = options.as_ref().and_then(|o| {
        options::require(o.binding.clone(), Opt::Binding, "workflow", at, &mut errors)
    });
    let name = options
        .as_ref()
        .and_then(|o| options::require(o.name.clone(), Opt::Name, "workflow", at, &mut errors));
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "a #[workflow] function must be async");
    }
    let payload_ty = match (sig.inputs.len(), sig.inputs.iter().nth(1)) {
        (2, Some(FnArg::Typed(pat))) => Some((*pat.ty).clone()),
        _ => {
            errors.push(syn::Error::new(
                sig.paren_token.span.join(),
                "a #[workflow] function is `async fn(run: WorkflowRun, payload: Payload) -> Result<Value, WorkflowError>`",
            ));
            None
        }
    };
    errors.finish(())?;
    let (Some(options), Some(class), Some(binding), Some(name), Some(payload_ty)) =
        (options, class, binding, name, payload_ty)
    else {
        unreachable!("a missing part was reported as an error")
    };

    let ident = &sig.ident;
    let defaults = config_tokens(options::resolve(&options, None));
    let fans_out = options.fans_out.unwrap_or(false);
    let steps = options
        .steps
        .unwrap_or_default()
        .into_iter()
        .map(|mut path| {
            if let Some(last) = path.segments.last_mut() {
                last.ident = format_ident!(
                    "{}",
                    last.ident.to_string().to_ascii_uppercase(),
                    span = last.ident.span()
                );
            }
            quote!(&#path.def)
        });
    Ok(quote! {
        #function

        ::incidentd_runtime::__private::inventory::submit! {
            ::incidentd_runtime::__private::WorkflowDef {
                class_name: #class,
                binding: #binding,
                name: #name,
                defaults: #defaults,
                steps: &[#(#steps),*],
                fans_out: #fans_out,
                // The manifest is built natively; wasm builds leave the schema generator out.
                payload_schema: {
                    #[cfg(not(target_arch = "wasm32"))]
                    let schema: fn() -> ::incidentd_runtime::__private::serde_json::Value =
                        ::incidentd_runtime::__private::schema::<#payload_ty>;
                    #[cfg(target_arch = "wasm32")]
                    let schema: fn() -> ::incidentd_runtime::__private::serde_json::Value =
                        ::incidentd_runtime::__private::no_schema;
                    schema
                },
                run: |run| ::std::boxed::Box::pin(async move {
                    let payload = ::incidentd_runtime::__private::decode_payload::<#payload_ty>(&run)?;
                    #ident(run, payload).await
                }),
            }
        }
    })
}
