//! `#[step]` on a free async fn: a durable step. It keeps the function and adds a static named
//! after it in capitals (`load_context` → `LOAD_CONTEXT`) through which a workflow runs it:
//! `LOAD_CONTEXT.call(&run, input).await`.
//!
//! Inside a `#[sender]`/`#[dispatcher]` impl the enclosing macro consumes `#[step]`; reaching
//! this expansion with a method means that macro is missing.

use crate::options::{self, config_tokens, Errors, Opt};
use crate::template::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Item, LitStr, PathArguments, ReturnType, Type};

const STEP: &[Opt] = &[Opt::Name, Opt::Retries, Opt::Timeout, Opt::IdempotencyKey];

/// `T` of `Result<T, E>`.
fn ok_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let function = match syn::parse2::<Item>(item)? {
        Item::Fn(f) => f,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "#[step] goes on an async fn",
            ))
        }
    };
    let sig = &function.sig;
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new_spanned(
            receiver,
            "#[step] on a method belongs inside a #[sender] or #[dispatcher] impl (add the attribute to the impl)",
        ));
    }
    let options = match options::parse(attr, STEP, "step") {
        Ok(o) => Some(o),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let name = options.as_ref().and_then(|o| {
        options::require(
            o.name.clone(),
            Opt::Name,
            "step",
            sig.ident.span(),
            &mut errors,
        )
    });
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "a #[step] function must be async");
    }
    let usage = "a #[step] function is `async fn(ctx: StepContext, input: Input) -> Result<Output, EffectError>`";
    let input_ty = match (sig.inputs.len(), sig.inputs.iter().nth(1)) {
        (2, Some(FnArg::Typed(pat))) => Some((*pat.ty).clone()),
        _ => {
            errors.push(syn::Error::new(
                sig.paren_token.span.join(),
                format!("wrong arguments; {usage}"),
            ));
            None
        }
    };
    let output_ty = ok_type(&sig.output);
    if output_ty.is_none() {
        let at = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.paren_token.span.join(),
        };
        errors.push(syn::Error::new(
            at,
            format!("a #[step] function returns a Result; {usage}"),
        ));
    }
    errors.finish(())?;
    let (Some(options), Some(name), Some(input_ty), Some(output_ty)) =
        (options, name, input_ty, output_ty)
    else {
        unreachable!("a missing part was reported as an error")
    };

    let ident = &sig.ident;
    let vis = &function.vis;
    let static_name = format_ident!(
        "{}",
        ident.to_string().to_ascii_uppercase(),
        span = ident.span()
    );
    let step_name = name.value();
    let config = if options::has_config(&options) {
        let tokens = config_tokens(options::resolve(&options, None));
        quote!(::core::option::Option::Some(#tokens))
    } else {
        quote!(::core::option::Option::None)
    };
    let default_key;
    let template = match &options.idempotency_key {
        Some(t) => t,
        None => {
            default_key = Template::parse(&LitStr::new(
                &format!("{{instance_id}}:{step_name}"),
                ident.span(),
            ))?;
            &default_key
        }
    };
    if template.uses("event_id") {
        // Steps have no event; `{event_id}` would silently mean a field of the input.
        return Err(syn::Error::new(
            template.literal.span(),
            "`{event_id}` is only available to sender and dispatcher handlers",
        ));
    }
    let key = template.build(&quote!(input), &quote!(run));
    let key_text = template.text();
    Ok(quote! {
        #function

        #[doc = concat!("The durable step `", #step_name, "`: run it with `.call(&run, input)`.")]
        #vis static #static_name: ::incidentd_runtime::__private::TypedStep<#input_ty, #output_ty> =
            ::incidentd_runtime::__private::TypedStep {
                def: ::incidentd_runtime::__private::StepDef {
                    name: #step_name,
                    config: #config,
                    idempotency_key: #key_text,
                },
                key: |run: &::incidentd_runtime::__private::WorkflowRun, input: &#input_ty| #key,
                body: |ctx, input| ::std::boxed::Box::pin(#ident(ctx, input)),
            };
    })
}
