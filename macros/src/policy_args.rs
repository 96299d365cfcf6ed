//! `retries(limit = .., delay = "..", backoff = "..")` and `timeout = ".."`: read into a
//! [`PolicyPatch`] with the policy crate's field parsers (the same ones that check
//! `retry-policies.toml`), errors spanned on the value and prefixed with the same key path the
//! file uses (`retries.limit: ...`). Also the tokens of a resolved config.

use crate::attr::{self, name_value};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use sluice_policy::{field, Backoff, PolicyPatch, StepConfig};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Meta, Token};

const RETRIES_USAGE: &str = "retries(limit = 5, delay = \"10 seconds\", backoff = \"exponential\", max_delay = \"5 minutes\")";
const RETRIES_FIELDS: &str = "limit, delay, backoff, max_delay";

/// Runs one field parser on `expr`, reporting its message on the value.
fn read<T>(
    path: &str,
    expr: &Expr,
    parse: fn(&sluice_policy::Value) -> Result<T, String>,
    errors: &mut Errors,
) -> Option<T> {
    parse(&attr::value(expr))
        .map_err(|message| errors.spanned(expr, format!("{path}: {message}")))
        .ok()
}

/// `retries(..)` into `patch`.
pub fn retries(meta: &Meta, patch: &mut PolicyPatch, errors: &mut Errors) {
    let Meta::List(list) = meta else {
        errors.spanned(meta, format!("expected `{RETRIES_USAGE}`"));
        return;
    };
    let Some(items) =
        errors.ok(Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone()))
    else {
        return;
    };
    if items.is_empty() {
        errors.spanned(
            meta,
            format!("`retries(...)` sets nothing; supported: {RETRIES_FIELDS}"),
        );
        return;
    }
    let mut seen: Vec<String> = Vec::new();
    for item in &items {
        let key = item
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if seen.contains(&key) {
            errors.spanned(
                item.path(),
                format!("duplicate option `{key}` in retries(...)"),
            );
            continue;
        }
        seen.push(key.clone());
        let path = format!("retries.{key}");
        let usage = format!("{key} = ...");
        match key.as_str() {
            "limit" => {
                if let Some(expr) = name_value(item, "limit = 5", errors) {
                    patch.limit = read(&path, expr, field::limit, errors);
                }
            }
            "delay" => {
                if let Some(expr) = name_value(item, &usage, errors) {
                    patch.delay = read(&path, expr, field::duration, errors);
                }
            }
            "backoff" => {
                if let Some(expr) = name_value(item, &usage, errors) {
                    patch.backoff = read(&path, expr, field::backoff, errors);
                }
            }
            "max_delay" => {
                if let Some(expr) = name_value(item, &usage, errors) {
                    patch.max_delay = read(&path, expr, field::timeout, errors);
                }
            }
            _ => errors.spanned(
                item.path(),
                format!(
                    "unknown option `{key}` in retries(...); {}supported: {RETRIES_FIELDS}",
                    attr::did_you_mean(&key, RETRIES_FIELDS.split(", "))
                ),
            ),
        }
    }
}

/// `timeout = ".."` into `patch`.
pub fn timeout(meta: &Meta, patch: &mut PolicyPatch, errors: &mut Errors) {
    if let Some(expr) = name_value(meta, "timeout = \"30 seconds\"", errors) {
        patch.timeout = read("timeout", expr, field::timeout, errors);
    }
}

/// Cloudflare's defaults, then each patch in turn (broadest first).
pub fn resolve(patches: &[&PolicyPatch]) -> StepConfig {
    patches
        .iter()
        .fold(StepConfig::WORKFLOWS_DEFAULT, |config, patch| {
            patch.apply(config)
        })
}

/// The tokens of `config` as a runtime `StepConfig` value, reached through `krate`.
pub fn config_tokens(config: StepConfig, krate: &syn::Path) -> TokenStream {
    let limit = config.retries.limit;
    let delay = config.retries.delay.as_millis();
    let timeout = config.timeout.as_millis();
    let max_delay = match config.retries.max_delay {
        Some(cap) => {
            let millis = cap.as_millis();
            quote!(::core::option::Option::Some(#krate::__private::Duration::from_millis(#millis)))
        }
        None => quote!(::core::option::Option::None),
    };
    let backoff = match config.retries.backoff {
        Backoff::Constant => quote!(Constant),
        Backoff::Linear => quote!(Linear),
        Backoff::Exponential => quote!(Exponential),
    };
    quote! {
        #krate::__private::StepConfig {
            retries: #krate::__private::RetryPolicy {
                limit: #limit,
                delay: #krate::__private::Duration::from_millis(#delay),
                backoff: #krate::__private::Backoff::#backoff,
                max_delay: #max_delay,
            },
            timeout: #krate::__private::Duration::from_millis(#timeout),
        }
    }
}
