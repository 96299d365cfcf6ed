//! `#[step]` on a free async fn: a durable step. It keeps the function and adds a static named
//! after it in capitals (`load_context` → `LOAD_CONTEXT`) through which a workflow runs it:
//! `LOAD_CONTEXT.call(&run, input).await`.
//!
//! Inside a `#[sender]`/`#[dispatcher]` impl the enclosing macro consumes `#[step]`; reaching
//! this expansion with a method means that macro is missing.

use crate::args::StepArgs;
use crate::errors::Errors;
use crate::policy_args::{config_tokens, resolve};
use crate::template::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Item, ItemFn, PathArguments, ReturnType, Type};

/// A valid step function, ready for code generation.
struct Step {
    function: ItemFn,
    args: StepArgs,
    input_ty: Type,
    output_ty: Type,
}

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
    let args = errors.ok(StepArgs::parse(attr, sig.ident.span()));
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "a #[step] function must be async");
    }
    let usage = "a #[step] function is `async fn(ctx: StepContext, input: Input) -> Result<Output, EffectError>`";
    let input_ty = match (sig.inputs.len(), sig.inputs.iter().nth(1)) {
        (2, Some(FnArg::Typed(pat))) => Some((*pat.ty).clone()),
        _ => {
            errors.at(
                sig.paren_token.span.join(),
                format!("wrong arguments; {usage}"),
            );
            None
        }
    };
    let output_ty = ok_type(&sig.output);
    if output_ty.is_none() {
        let at = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.paren_token.span.join(),
        };
        errors.at(at, format!("a #[step] function returns a Result; {usage}"));
    }
    errors.finish(())?;
    let step = Step {
        args: args.expect("reported when invalid"),
        input_ty: input_ty.expect("reported when missing"),
        output_ty: output_ty.expect("reported when missing"),
        function,
    };
    Ok(generate(&step))
}

fn generate(step: &Step) -> TokenStream {
    let Step {
        function,
        args,
        input_ty,
        output_ty,
    } = step;
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let static_name = format_ident!(
        "{}",
        ident.to_string().to_ascii_uppercase(),
        span = ident.span()
    );
    let step_name = args.name.value();
    let krate = &args.krate;
    let config = if args.policy.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        let tokens = config_tokens(resolve(&[&args.policy]), &args.krate);
        quote!(::core::option::Option::Some(#tokens))
    };
    let default_key;
    let template = match &args.idempotency_key {
        Some(t) => t,
        None => {
            default_key = Template::builtin(&["instance_id"], &step_name, ident.span());
            &default_key
        }
    };
    let key = template.build(&quote!(input), &quote!(run));
    let key_text = template.text();
    // Spanned on the signature's types, so an unmet bound is reported there.
    let check_input = quote_spanned! {input_ty.span()=>
        #krate::__private::check_step_input::<#input_ty>
    };
    let check_output = quote_spanned! {output_ty.span()=>
        #krate::__private::check_step_output::<#output_ty>
    };
    quote! {
        #function

        const _: () = {
            let _: fn() = #check_input;
            let _: fn() = #check_output;
        };

        #[doc = concat!("The durable step `", #step_name, "`: run it with `.call(&run, input)`.")]
        #vis static #static_name: #krate::__private::TypedStep<#input_ty, #output_ty> =
            #krate::__private::TypedStep {
                def: #krate::__private::StepDef {
                    name: #step_name,
                    config: #config,
                    idempotency_key: #key_text,
                },
                key: |run: &#krate::__private::WorkflowRun, input: &#input_ty| #key,
                body: |ctx, input| ::std::boxed::Box::pin(#ident(ctx, input)),
            };

        // Every declared step is registered, so a step no workflow lists is reported by
        // `registry::validate` instead of vanishing from the manifest.
        #krate::__private::inventory::submit! {
            #krate::__private::DeclaredStep { def: &#static_name.def }
        }
    }
}
