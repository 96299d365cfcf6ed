//! `#[sender]` and `#[dispatcher]` on `impl <EffectTrait> for <Type>`: one registered handler
//! per method, i.e. per event type the effect handles; the rest stay unhandled. A handler's
//! event type comes from its parameter type (`<Event as FromSenderCall>::EVENT`), never from
//! the method's name.

use crate::args::{HandlerArgs, SenderArgs};
use crate::errors::Errors;
use crate::policy_args::{config_tokens, resolve};
use crate::template::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, Item, ItemImpl, Type};

#[derive(Clone, Copy)]
pub enum Kind {
    Sender,
    Dispatcher,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Sender => "sender",
            Kind::Dispatcher => "dispatcher",
        }
    }
}

/// One implemented trait method.
struct Handler {
    method: syn::Ident,
    /// `Shop<OrderShipped>` of `event: &Shop<OrderShipped>`.
    event_ty: Type,
    args: HandlerArgs,
}

/// A valid `#[sender]`/`#[dispatcher]` impl, ready for code generation.
struct Effect {
    kind: Kind,
    args: SenderArgs,
    trait_path: syn::Path,
    self_ty: Type,
    handlers: Vec<Handler>,
}

fn is_step_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "step")
}

/// The item with handler-level `#[step]` attributes removed (they belong to this macro).
pub fn strip_step_attributes(item: TokenStream) -> TokenStream {
    match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(mut item_impl) => {
            for impl_item in &mut item_impl.items {
                if let ImplItem::Fn(f) = impl_item {
                    f.attrs.retain(|a| !is_step_attr(a));
                }
            }
            quote!(#item_impl)
        }
        Err(_) => item,
    }
}

const USAGE: &str = "(&self, ctx: &SendContext, event: &Event)";

/// Checks one method and takes its `#[step]` attribute off (it is this macro's input).
fn handler(f: &mut ImplItemFn, errors: &mut Errors) -> Option<Handler> {
    let (steps, rest): (Vec<_>, Vec<_>) = f.attrs.drain(..).partition(is_step_attr);
    f.attrs = rest;
    let mut args = Some(HandlerArgs {
        policy: Default::default(),
        idempotency_key: None,
    });
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            errors.spanned(step, "duplicate #[step] attribute on one handler");
            continue;
        }
        let tokens = match &step.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        args = errors.ok(HandlerArgs::parse(tokens));
    }
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        errors.spanned(
            sig.fn_token,
            format!("handler `{}` must be async", sig.ident),
        );
    }
    let receiver_ok = matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none());
    if !receiver_ok || sig.inputs.len() != 3 {
        errors.spanned(
            &sig.inputs,
            format!("handler `{}` must take `{USAGE}`", sig.ident),
        );
        return None;
    }
    let event_ty = match sig.inputs.iter().nth(2) {
        Some(FnArg::Typed(pat)) => match &*pat.ty {
            Type::Reference(r) => (*r.elem).clone(),
            other => {
                errors.spanned(
                    other,
                    format!("expected a reference to the event type; a handler takes `{USAGE}`"),
                );
                return None;
            }
        },
        _ => {
            errors.spanned(
                &sig.inputs,
                format!(
                    "handler `{}` has the wrong arguments; it takes `{USAGE}`",
                    sig.ident
                ),
            );
            return None;
        }
    };
    Some(Handler {
        method: sig.ident.clone(),
        event_ty,
        args: args?,
    })
}

pub fn expand(attr: TokenStream, item: TokenStream, kind: Kind) -> syn::Result<TokenStream> {
    let what = kind.attr();
    let mut errors = Errors::default();
    let mut item_impl = match syn::parse2::<Item>(item)? {
        Item::Impl(item_impl) => item_impl,
        other => {
            let at = match &other {
                Item::Fn(f) => f.sig.fn_token.span(),
                Item::Struct(s) => s.struct_token.span(),
                Item::Enum(e) => e.enum_token.span(),
                Item::Trait(t) => t.trait_token.span(),
                _ => other.span(),
            };
            return Err(syn::Error::new(
                at,
                format!("#[{what}] goes on an `impl <EffectTrait> for <Type>` block"),
            ));
        }
    };
    let args = errors.ok(SenderArgs::parse(attr, what, item_impl.impl_token.span));
    let trait_path = match &item_impl.trait_ {
        Some((None, path, _)) => Some(path.clone()),
        _ => {
            errors.spanned(
                &item_impl.self_ty,
                format!("#[{what}] goes on a trait impl, e.g. `impl ShopSender for MySender`"),
            );
            None
        }
    };
    if !item_impl.generics.params.is_empty() {
        errors.spanned(
            &item_impl.generics,
            format!("a #[{what}] impl cannot be generic"),
        );
    }
    let mut handlers = Vec::new();
    let mut methods = 0;
    for impl_item in &mut item_impl.items {
        if let ImplItem::Fn(f) = impl_item {
            methods += 1;
            handlers.extend(handler(f, &mut errors));
        }
    }
    if methods == 0 && trait_path.is_some() {
        errors.spanned(
            &item_impl.self_ty,
            format!("a #[{what}] must implement at least one event handler"),
        );
    }
    errors.finish(())?;
    let effect = Effect {
        kind,
        args: args.expect("reported when invalid"),
        trait_path: trait_path.expect("reported when missing"),
        self_ty: (*item_impl.self_ty).clone(),
        handlers,
    };
    Ok(generate(&item_impl, &effect))
}

/// The run function and the `HandlerDef` of one handler.
fn handler_code(effect: &Effect, handler: &Handler) -> (TokenStream, TokenStream) {
    let Effect {
        self_ty,
        trait_path,
        args,
        ..
    } = effect;
    let method = &handler.method;
    let event_ty = &handler.event_ty;
    let method_name = method.to_string();
    let function = format_ident!("__sluice_{}_{}", effect.kind.attr(), method);
    let krate = &args.krate;
    let config = config_tokens(resolve(&[&args.policy, &handler.args.policy]), krate);
    let default_key;
    let template = match handler
        .args
        .idempotency_key
        .as_ref()
        .or(args.idempotency_key.as_ref())
    {
        Some(t) => t,
        None => {
            let suffix = format!("{}.{method_name}", args.name.value());
            default_key = Template::builtin(&["stream_id", "event_id"], &suffix, method.span());
            &default_key
        }
    };
    let key = template.build(&quote!(event), &quote!(call));
    let key_text = template.text();
    // Spanned on the user's type: a missing `Default` is reported on the impl's self type.
    let new_effect = quote_spanned! {self_ty.span()=>
        #krate::__private::new_effect::<#self_ty>()
    };
    let run = quote! {
        fn #function(
            call: #krate::__private::SenderCall,
        ) -> #krate::__private::BoxFuture<'static, ::core::result::Result<(), #krate::__private::EffectError>> {
            ::std::boxed::Box::pin(async move {
                let event = <#event_ty as #krate::__private::FromSenderCall>::from_call(&call)?;
                let ctx = #krate::__private::SendContext {
                    idempotency_key: #key,
                    event_id: call.event_id,
                    services: ::std::clone::Clone::clone(&call.services),
                };
                let effect: #self_ty = #new_effect;
                <#self_ty as #trait_path>::#method(&effect, &ctx, &event).await
            })
        }
    };
    let def = quote! {
        #krate::__private::HandlerDef {
            event: <#event_ty as #krate::__private::FromSenderCall>::EVENT,
            method: #method_name,
            config: #config,
            idempotency_key: #key_text,
            run: #function,
        }
    };
    (run, def)
}

fn generate(item_impl: &ItemImpl, effect: &Effect) -> TokenStream {
    let self_ty = &effect.self_ty;
    let krate = &effect.args.krate;
    let effect_name = effect.args.name.value();
    let kind_ident = match effect.kind {
        Kind::Sender => quote!(Sender),
        Kind::Dispatcher => quote!(Dispatcher),
    };
    let (functions, defs): (Vec<_>, Vec<_>) = effect
        .handlers
        .iter()
        .map(|h| handler_code(effect, h))
        .unzip();
    let count = effect.handlers.len();
    let first_event = &effect.handlers[0].event_ty;
    let requires_var = match &effect.args.requires_var {
        Some(var) => quote!(::core::option::Option::Some(#var)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #item_impl

        const _: () = {
            #(#functions)*

            static HANDLERS: [#krate::__private::HandlerDef; #count] = [#(#defs),*];

            #krate::__private::inventory::submit! {
                #krate::__private::EffectDef {
                    name: #effect_name,
                    kind: #krate::__private::EffectKind::#kind_ident,
                    type_path: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#self_ty)),
                    workflow: <#first_event as #krate::__private::FromSenderCall>::WORKFLOW,
                    handlers: &HANDLERS,
                    requires_var: #requires_var,
                }
            }
        };
    }
}
