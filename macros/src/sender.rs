//! `#[sender]` and `#[dispatcher]` on `impl <EffectTrait> for <Type>`: one registered handler
//! per method, i.e. per event type the effect handles; the rest stay unhandled.

use crate::options::{self, config_tokens, Errors, Opt, Options};
use crate::template::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, Item, ItemImpl, LitStr, Type};

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

const LEVEL: &[Opt] = &[Opt::Name, Opt::Retries, Opt::Timeout, Opt::IdempotencyKey];
const HANDLER: &[Opt] = &[Opt::Retries, Opt::Timeout, Opt::IdempotencyKey, Opt::Event];

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

struct Handler {
    method: syn::Ident,
    event_name: String,
    event_ty: Type,
    options: Options,
}

/// `Foo` from `&Foo`.
fn event_type(arg: Option<&FnArg>, errors: &mut Errors, sig: &syn::Signature) -> Option<Type> {
    let usage = "a handler takes `(&self, ctx: &SendContext, event: &Event)`";
    match arg {
        Some(FnArg::Typed(pat)) => match &*pat.ty {
            Type::Reference(r) => Some((*r.elem).clone()),
            other => {
                errors.spanned(
                    other,
                    format!("expected a reference to the event type; {usage}"),
                );
                None
            }
        },
        _ => {
            errors.spanned(
                &sig.inputs,
                format!("handler `{}` has the wrong arguments; {usage}", sig.ident),
            );
            None
        }
    }
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
    let level = match options::parse(attr, LEVEL, what) {
        Ok(level) => Some(level),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let name = level.as_ref().and_then(|l| {
        options::require(
            l.name.clone(),
            Opt::Name,
            what,
            item_impl.impl_token,
            &mut errors,
        )
    });
    let trait_path = match &item_impl.trait_ {
        Some((None, path, _)) => Some(path.clone()),
        _ => {
            errors.spanned(
                &item_impl.self_ty,
                format!("#[{what}] goes on a trait impl, e.g. `impl IncidentSender for MySender`"),
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
        let ImplItem::Fn(f) = impl_item else { continue };
        methods += 1;
        let mut own = Options::default();
        let (steps, rest): (Vec<_>, Vec<_>) = f.attrs.drain(..).partition(is_step_attr);
        f.attrs = rest;
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                errors.spanned(step, "duplicate #[step] attribute on one handler");
                continue;
            }
            let tokens = match &step.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                _ => TokenStream::new(),
            };
            match options::parse(tokens, HANDLER, "step") {
                Ok(o) => own = o,
                Err(e) => errors.push(e),
            }
        }
        if f.sig.asyncness.is_none() {
            errors.spanned(
                f.sig.fn_token,
                format!("handler `{}` must be async", f.sig.ident),
            );
        }
        let receiver_ok = matches!(f.sig.inputs.first(), Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none());
        if !receiver_ok || f.sig.inputs.len() != 3 {
            errors.spanned(
                &f.sig.inputs,
                format!(
                    "handler `{}` must take `(&self, ctx: &SendContext, event: &Event)`",
                    f.sig.ident
                ),
            );
            continue;
        }
        let Some(event_ty) = event_type(f.sig.inputs.iter().nth(2), &mut errors, &f.sig) else {
            continue;
        };
        let event_name = own
            .event
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| f.sig.ident.to_string().to_ascii_uppercase());
        handlers.push(Handler {
            method: f.sig.ident.clone(),
            event_name,
            event_ty,
            options: own,
        });
    }
    if methods == 0 && trait_path.is_some() {
        errors.spanned(
            &item_impl.self_ty,
            format!("a #[{what}] must implement at least one event handler"),
        );
    }
    errors.finish(())?;
    // Each of these being missing pushed an error above.
    let (Some(level), Some(name), Some(trait_path)) = (level, name, trait_path) else {
        unreachable!("a missing part was reported as an error")
    };

    let self_ty = &item_impl.self_ty;
    let effect_name = name.value();
    let kind_ident = match kind {
        Kind::Sender => quote!(Sender),
        Kind::Dispatcher => quote!(Dispatcher),
    };
    let call = quote!(call);
    let mut functions = Vec::new();
    let mut defs = Vec::new();
    for handler in &handlers {
        let method = &handler.method;
        let event_ty = &handler.event_ty;
        let event_name = &handler.event_name;
        let method_name = method.to_string();
        let function = format_ident!("__incidentd_{}_{}", what, method);
        let config = config_tokens(options::resolve(&handler.options, Some(&level)));
        let default_key;
        let template = match handler
            .options
            .idempotency_key
            .as_ref()
            .or(level.idempotency_key.as_ref())
        {
            Some(t) => t,
            None => {
                let text = format!("{{instance_id}}:{{event_id}}:{effect_name}.{method_name}");
                default_key = Template::parse(&LitStr::new(&text, method.span()))?;
                &default_key
            }
        };
        let key = template.build(&quote!(event), &call);
        let key_text = template.text();
        functions.push(quote! {
            fn #function(
                call: ::incidentd_runtime::__private::SenderCall,
            ) -> ::incidentd_runtime::__private::BoxFuture<'static, ::core::result::Result<(), ::incidentd_runtime::__private::EffectError>> {
                ::std::boxed::Box::pin(async move {
                    let event = <#event_ty as ::incidentd_runtime::__private::FromSenderCall>::from_call(&call)?;
                    let ctx = ::incidentd_runtime::__private::SendContext {
                        idempotency_key: #key,
                        event_id: call.event_id,
                        services: ::std::clone::Clone::clone(&call.services),
                    };
                    let effect: #self_ty = ::core::default::Default::default();
                    <#self_ty as #trait_path>::#method(&effect, &ctx, &event).await
                })
            }
        });
        defs.push(quote! {
            ::incidentd_runtime::__private::HandlerDef {
                event: #event_name,
                method: #method_name,
                config: #config,
                idempotency_key: #key_text,
                run: #function,
            }
        });
    }
    let count = handlers.len();
    let first_event = &handlers[0].event_ty;
    Ok(quote! {
        #item_impl

        const _: () = {
            #(#functions)*

            static HANDLERS: [::incidentd_runtime::__private::HandlerDef; #count] = [#(#defs),*];

            ::incidentd_runtime::__private::inventory::submit! {
                ::incidentd_runtime::__private::EffectDef {
                    name: #effect_name,
                    kind: ::incidentd_runtime::__private::EffectKind::#kind_ident,
                    workflow: <#first_event as ::incidentd_runtime::__private::FromSenderCall>::WORKFLOW,
                    handlers: &HANDLERS,
                }
            }
        };
    })
}
