//! Attribute arguments as a list of `key = value` / `key(..)` options: each key checked against
//! the options the macro takes (unknown, misplaced, removed and repeated keys are errors on the
//! key), and the value readers the typed argument structs are built with.

use crate::errors::Errors;
use proc_macro2::TokenStream;
use sluice_policy::suggest::closest;
use sluice_policy::Value;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, Meta, Token, UnOp};

/// Every option any of the macros knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    Name,
    Retries,
    Timeout,
    IdempotencyKey,
    Class,
    Binding,
    Steps,
    FansOut,
    WaitsForEvents,
    RequiresVar,
    Crate,
    File,
    Env,
}

impl Opt {
    const ALL: [Opt; 13] = [
        Opt::Name,
        Opt::Retries,
        Opt::Timeout,
        Opt::IdempotencyKey,
        Opt::Class,
        Opt::Binding,
        Opt::Steps,
        Opt::FansOut,
        Opt::WaitsForEvents,
        Opt::RequiresVar,
        Opt::Crate,
        Opt::File,
        Opt::Env,
    ];

    pub fn text(self) -> &'static str {
        match self {
            Opt::Name => "name",
            Opt::Retries => "retries",
            Opt::Timeout => "timeout",
            Opt::IdempotencyKey => "idempotency_key",
            Opt::Class => "class",
            Opt::Binding => "binding",
            Opt::Steps => "steps",
            Opt::FansOut => "fans_out",
            Opt::WaitsForEvents => "waits_for_events",
            Opt::RequiresVar => "requires_var",
            Opt::Crate => "crate",
            Opt::File => "file",
            Opt::Env => "env",
        }
    }
}

/// Which options one attribute sets (each known, allowed and given once).
pub struct Options {
    keys: Vec<Opt>,
}

impl Options {
    pub fn has(&self, key: Opt) -> bool {
        self.keys.contains(&key)
    }
}

fn key_of(meta: &Meta) -> String {
    meta.path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Why a key that no macro takes any more is gone, and what replaces it.
fn removed(key: &str) -> Option<&'static str> {
    match key {
        "event" => Some(
            "`event` was removed: a handler's event type comes from its parameter type \
             (`event: &Shop<OrderShipped>` handles `<Shop<OrderShipped> as FromSenderCall>::EVENT`); delete this option",
        ),
        _ => None,
    }
}

/// Splits `tokens` into options, accepting only `allowed` (for `#[what]`), and hands each
/// valid one to `read` in the order written (so errors come out in source order). A token
/// stream that is not an option list at all is fatal; everything else is reported into
/// `errors`.
pub fn parse(
    tokens: TokenStream,
    allowed: &[Opt],
    what: &str,
    errors: &mut Errors,
    mut read: impl FnMut(Opt, &Meta, &mut Errors),
) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let supported = || {
        allowed
            .iter()
            .map(|k| k.text())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut keys: Vec<Opt> = Vec::new();
    for meta in metas {
        let key = key_of(&meta);
        if let Some(why) = removed(&key) {
            errors.spanned(meta.path(), why);
            continue;
        }
        let Some(known) = Opt::ALL.into_iter().find(|k| k.text() == key) else {
            errors.spanned(
                meta.path(),
                format!(
                    "unknown option `{key}` of {}; {}supported options are: {}",
                    shown(what),
                    did_you_mean(&key, allowed.iter().map(|k| k.text())),
                    supported()
                ),
            );
            continue;
        };
        if !allowed.contains(&known) {
            errors.spanned(
                meta.path(),
                format!(
                    "`{key}` is not an option of {}; supported options are: {}",
                    shown(what),
                    supported()
                ),
            );
        } else if keys.contains(&known) {
            errors.spanned(meta.path(), format!("duplicate option `{key}`"));
        } else {
            keys.push(known);
            read(known, &meta, errors);
        }
    }
    Ok(Options { keys })
}

/// A macro as its user writes it: `#[step]`, or `retry_policies!` for a function-like one
/// (whose `what` ends in `!`).
pub fn shown(what: &str) -> String {
    if what.ends_with('!') {
        format!("`{what}`")
    } else {
        format!("#[{what}]")
    }
}

/// "did you mean `x`? " when a candidate is a plausible typo of `key`, else nothing.
pub fn did_you_mean<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(key, candidates)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

/// `crate = "path"` (as serde's and tokio's): where the framework is reached, for a crate
/// that re-exports it under another name. Takes a string, or the path itself.
pub fn krate(meta: &Meta, errors: &mut Errors) -> Option<syn::Path> {
    match name_value(meta, "crate = \"::path::to::sluice\"", errors)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => errors.ok(s.parse::<syn::Path>().map_err(|_| {
            syn::Error::new(
                s.span(),
                "expected the path of the framework crate, e.g. \"::sluice\"",
            )
        })),
        Expr::Path(p) if p.qself.is_none() => Some(p.path.clone()),
        other => {
            errors.spanned(
                other,
                "expected the path of the framework crate, e.g. \"::sluice\"",
            );
            None
        }
    }
}

/// The framework's path when no `crate = ..` is given.
pub fn default_krate() -> syn::Path {
    syn::parse_quote!(::sluice)
}

/// The value of `key = <expr>`.
pub fn name_value<'m>(meta: &'m Meta, usage: &str, errors: &mut Errors) -> Option<&'m Expr> {
    match meta {
        Meta::NameValue(nv) => Some(&nv.value),
        _ => {
            errors.spanned(meta, format!("expected `{usage}`"));
            None
        }
    }
}

/// `key = "non-empty text"`.
pub fn string(meta: &Meta, errors: &mut Errors) -> Option<LitStr> {
    let usage = format!("{} = \"...\"", key_of(meta));
    match name_value(meta, &usage, errors)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if !s.value().trim().is_empty() => Some(s.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            errors.spanned(s, "expected a non-empty string");
            None
        }
        other => {
            errors.spanned(other, "expected a string literal");
            None
        }
    }
}

/// `key = true | false`.
pub fn boolean(meta: &Meta, errors: &mut Errors) -> Option<bool> {
    let usage = format!("{} = true", key_of(meta));
    match name_value(meta, &usage, errors)? {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Some(b.value),
        other => {
            errors.spanned(other, "expected `true` or `false`");
            None
        }
    }
}

/// A literal as the policy crate's [`Value`], so attribute values go through the same field
/// parsers as the policy file's.
pub fn value(expr: &Expr) -> Value {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Int(int) => int
                .base10_parse::<i128>()
                .map(Value::Int)
                .unwrap_or_else(|_| Value::Other(format!("the integer {int}"))),
            Lit::Str(s) => Value::Str(s.value()),
            Lit::Bool(b) => Value::Bool(b.value),
            Lit::Float(f) => f
                .base10_parse::<f64>()
                .map(Value::Float)
                .unwrap_or_else(|_| Value::Other(format!("the float {f}"))),
            _ => Value::Other("a literal of another type".into()),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match value(expr) {
            Value::Int(n) => Value::Int(-n),
            Value::Float(x) => Value::Float(-x),
            _ => Value::Other("an expression".into()),
        },
        _ => Value::Other("an expression (options take literals)".into()),
    }
}
