//! Attribute options: parsed, validated at expansion time, errors spanned and accumulated.

use crate::template::Template;
use incidentd_runtime::{Backoff, Duration, RetryPolicy, StepConfig};
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

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
    Event,
}

impl Opt {
    const ALL: [Opt; 9] = [
        Opt::Name,
        Opt::Retries,
        Opt::Timeout,
        Opt::IdempotencyKey,
        Opt::Class,
        Opt::Binding,
        Opt::Steps,
        Opt::FansOut,
        Opt::Event,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Opt::Name => "name",
            Opt::Retries => "retries",
            Opt::Timeout => "timeout",
            Opt::IdempotencyKey => "idempotency_key",
            Opt::Class => "class",
            Opt::Binding => "binding",
            Opt::Steps => "steps",
            Opt::FansOut => "fans_out",
            Opt::Event => "event",
        }
    }
}

/// `retries(limit = .., delay = "..", backoff = "..")`, each field optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct Retries {
    pub limit: Option<u32>,
    pub delay: Option<Duration>,
    pub backoff: Option<Backoff>,
}

#[derive(Default)]
pub struct Options {
    pub name: Option<LitStr>,
    pub retries: Option<Retries>,
    pub timeout: Option<Duration>,
    pub idempotency_key: Option<Template>,
    pub class: Option<LitStr>,
    pub binding: Option<LitStr>,
    pub steps: Option<Vec<syn::Path>>,
    pub fans_out: Option<bool>,
    pub event: Option<LitStr>,
}

/// Collects errors so one expansion reports all of them.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

fn list(allowed: &[Opt]) -> String {
    allowed
        .iter()
        .map(|o| o.key())
        .collect::<Vec<_>>()
        .join(", ")
}

fn string_value(meta: &Meta, errors: &mut Errors) -> Option<LitStr> {
    match meta {
        Meta::NameValue(nv) => match &nv.value {
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
        },
        _ => {
            let key = meta
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            errors.spanned(meta, format!("expected `{key} = \"...\"`"));
            None
        }
    }
}

fn duration_value(meta: &Meta, errors: &mut Errors) -> Option<Duration> {
    let text = string_value(meta, errors)?;
    match Duration::parse(&text.value()) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.spanned(&text, e);
            None
        }
    }
}

fn parse_retries(meta: &Meta, errors: &mut Errors) -> Option<Retries> {
    let Meta::List(list) = meta else {
        errors.spanned(
            meta,
            "expected `retries(limit = 5, delay = \"10 seconds\", backoff = \"exponential\")`",
        );
        return None;
    };
    let items = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
        Ok(items) => items,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    if items.is_empty() {
        errors.spanned(
            meta,
            "`retries(...)` sets nothing; supported: limit, delay, backoff",
        );
        return None;
    }
    let mut retries = Retries::default();
    let mut seen = Vec::new();
    for item in &items {
        let key = item
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        if seen.contains(&key) {
            errors.spanned(
                item.path(),
                format!("duplicate option `{key}` in retries(...)"),
            );
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "limit" => match item {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Int(int), ..
                    }) => match int.base10_parse::<u64>() {
                        Ok(n) if n <= u64::from(RetryPolicy::MAX_LIMIT) => {
                            retries.limit = Some(n as u32)
                        }
                        _ => errors.spanned(
                            int,
                            format!(
                                "retries limit out of range: allowed 0 to {}",
                                RetryPolicy::MAX_LIMIT
                            ),
                        ),
                    },
                    other => errors.spanned(other, "expected an integer, e.g. `limit = 5`"),
                },
                _ => errors.spanned(item, "expected `limit = <integer>`"),
            },
            "delay" => retries.delay = duration_value(item, errors),
            "backoff" => {
                if let Some(text) = string_value(item, errors) {
                    match Backoff::parse(&text.value()) {
                        Some(b) => retries.backoff = Some(b),
                        None => errors.spanned(
                            &text,
                            format!("unknown backoff {:?}; expected one of constant, linear, exponential", text.value()),
                        ),
                    }
                }
            }
            _ => errors.spanned(
                item.path(),
                format!("unknown option `{key}` in retries(...); supported: limit, delay, backoff"),
            ),
        }
    }
    Some(retries)
}

/// Parses `tokens` (the attribute's arguments) accepting only `allowed`, for `#[what]`.
pub fn parse(tokens: TokenStream, allowed: &[Opt], what: &str) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut errors = Errors::default();
    let mut options = Options::default();
    let mut seen: Vec<Opt> = Vec::new();
    for meta in &metas {
        let key = meta
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let Some(opt) = Opt::ALL.iter().copied().find(|o| o.key() == key) else {
            errors.spanned(
                meta.path(),
                format!(
                    "unknown option `{key}` of #[{what}]; supported options are: {}",
                    list(allowed)
                ),
            );
            continue;
        };
        if !allowed.contains(&opt) {
            errors.spanned(
                meta.path(),
                format!(
                    "`{key}` is not an option of #[{what}]; supported options are: {}",
                    list(allowed)
                ),
            );
            continue;
        }
        if seen.contains(&opt) {
            errors.spanned(meta.path(), format!("duplicate option `{key}`"));
            continue;
        }
        seen.push(opt);
        match opt {
            Opt::Name => options.name = string_value(meta, &mut errors),
            Opt::Class => options.class = string_value(meta, &mut errors),
            Opt::Binding => options.binding = string_value(meta, &mut errors),
            Opt::Event => options.event = string_value(meta, &mut errors),
            Opt::Retries => options.retries = parse_retries(meta, &mut errors),
            Opt::Timeout => {
                options.timeout = duration_value(meta, &mut errors);
                if options.timeout == Some(Duration::ZERO) {
                    match meta {
                        Meta::NameValue(nv) => {
                            errors.spanned(&nv.value, "timeout must be more than zero")
                        }
                        _ => errors.spanned(meta, "timeout must be more than zero"),
                    }
                }
            }
            Opt::IdempotencyKey => {
                if let Some(text) = string_value(meta, &mut errors) {
                    match Template::parse(&text) {
                        Ok(t) => options.idempotency_key = Some(t),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Opt::FansOut => match meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Bool(b), ..
                    }) => options.fans_out = Some(b.value),
                    other => errors.spanned(other, "expected `true` or `false`"),
                },
                _ => errors.spanned(meta, "expected `fans_out = true`"),
            },
            Opt::Steps => match meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Array(array) => {
                        let mut paths = Vec::new();
                        for elem in &array.elems {
                            match elem {
                                Expr::Path(p) => paths.push(p.path.clone()),
                                other => {
                                    errors.spanned(other, "expected the name of a #[step] function")
                                }
                            }
                        }
                        options.steps = Some(paths);
                    }
                    other => errors.spanned(
                        other,
                        "expected a list of #[step] functions, e.g. `steps = [load, post]`",
                    ),
                },
                _ => errors.spanned(meta, "expected `steps = [..]`"),
            },
        }
    }
    errors.finish(options)
}

/// The attribute-level config: the step's own fields, then the level's, then Cloudflare's
/// defaults.
pub fn resolve(own: &Options, level: Option<&Options>) -> StepConfig {
    let default = StepConfig::WORKFLOWS_DEFAULT;
    let field = |pick: fn(&Retries) -> Option<u64>| {
        own.retries
            .as_ref()
            .and_then(pick)
            .or_else(|| level.and_then(|l| l.retries.as_ref()).and_then(pick))
    };
    let limit = field(|r| r.limit.map(u64::from))
        .map(|l| l as u32)
        .unwrap_or(default.retries.limit);
    let delay = field(|r| r.delay.map(Duration::as_millis))
        .map(Duration::from_millis)
        .unwrap_or(default.retries.delay);
    let backoff = own
        .retries
        .as_ref()
        .and_then(|r| r.backoff)
        .or_else(|| {
            level
                .and_then(|l| l.retries.as_ref())
                .and_then(|r| r.backoff)
        })
        .unwrap_or(default.retries.backoff);
    let timeout = own
        .timeout
        .or_else(|| level.and_then(|l| l.timeout))
        .unwrap_or(default.timeout);
    StepConfig {
        retries: RetryPolicy {
            limit,
            delay,
            backoff,
        },
        timeout,
    }
}

/// Whether the step sets any config of its own (otherwise its workflow's defaults apply).
pub fn has_config(options: &Options) -> bool {
    options.retries.is_some() || options.timeout.is_some()
}

pub fn config_tokens(config: StepConfig) -> TokenStream {
    let limit = config.retries.limit;
    let delay = config.retries.delay.as_millis();
    let timeout = config.timeout.as_millis();
    let backoff = match config.retries.backoff {
        Backoff::Constant => quote!(Constant),
        Backoff::Linear => quote!(Linear),
        Backoff::Exponential => quote!(Exponential),
    };
    quote! {
        ::incidentd_runtime::__private::StepConfig {
            retries: ::incidentd_runtime::__private::RetryPolicy {
                limit: #limit,
                delay: ::incidentd_runtime::__private::Duration::from_millis(#delay),
                backoff: ::incidentd_runtime::__private::Backoff::#backoff,
            },
            timeout: ::incidentd_runtime::__private::Duration::from_millis(#timeout),
        }
    }
}

/// Span helper for errors about a whole attribute when there are no arguments to point at.
pub fn require<T>(
    value: Option<T>,
    opt: Opt,
    what: &str,
    at: impl Spanned,
    errors: &mut Errors,
) -> Option<T> {
    if value.is_none() {
        errors.push(syn::Error::new(
            at.span(),
            format!("#[{what}] requires `{} = \"...\"`", opt.key()),
        ));
    }
    value
}
