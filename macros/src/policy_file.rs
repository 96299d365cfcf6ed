//! `retry_policies!(file = "retry-policies.toml", env = "ORDERS_RETRY_POLICIES")`: the retry-policy
//! file of the crate that invokes it. The file (or the one the variable names, when set) is read
//! and checked at expansion time with the policy crate's parser, so a bad value fails the build
//! of the crate that owns the file; its entries are registered with their file and line, so a
//! name the linked code does not register is reported as `file:line` by `registry::validate`,
//! and by a unit test this expansion adds to the declaring crate.

use crate::args::PolicyFileArgs;
use proc_macro2::TokenStream;
use quote::quote;
use sluice_policy::file::validate_file;
use sluice_policy::{Backoff, PolicyPatch};
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "../../runtime/build/policy_toml.rs"]
mod policy_toml;

/// The file to read: the variable's value when it is set and not empty, else `file`; a relative
/// path is taken from the declaring crate's directory (where cargo runs the compiler from).
fn resolve(args: &PolicyFileArgs) -> PathBuf {
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let named = args
        .env
        .as_ref()
        .and_then(|var| std::env::var_os(var.value()))
        .filter(|value| !value.is_empty())
        .map(PathBuf::from);
    let path = named.unwrap_or_else(|| PathBuf::from(args.file.value()));
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

/// The 1-based line of `name`'s entry: its table header (`[policies."name"]`) or its key in a
/// `[policies]` table. 0 when the text spells it in a way this does not recognise.
pub fn line_of(text: &str, name: &str) -> u32 {
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    let bare = |line: &str| {
        line.starts_with(&format!("[policies.{name}]"))
            || line.starts_with(&format!("{name} ="))
            || line.starts_with(&format!("{name}."))
    };
    text.lines()
        .map(str::trim_start)
        .position(|line| {
            !line.starts_with('#')
                && (quoted.iter().any(|q| line.contains(q.as_str())) || bare(line))
        })
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
}

fn option<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn entry(krate: &syn::Path, name: &str, line: u32, patch: &PolicyPatch) -> TokenStream {
    let backoff = option(patch.backoff.map(|b| match b {
        Backoff::Constant => quote!(#krate::__private::Backoff::Constant),
        Backoff::Linear => quote!(#krate::__private::Backoff::Linear),
        Backoff::Exponential => quote!(#krate::__private::Backoff::Exponential),
    }));
    let limit = option(patch.limit);
    let delay = option(patch.delay.map(sluice_policy::Duration::as_millis));
    let max_delay = option(patch.max_delay.map(sluice_policy::Duration::as_millis));
    let timeout = option(patch.timeout.map(sluice_policy::Duration::as_millis));
    quote! {
        #krate::__private::PolicyFileEntry {
            line: #line,
            policy: #krate::__private::PolicyOverride {
                name: #name,
                limit: #limit,
                delay_ms: #delay,
                backoff: #backoff,
                max_delay_ms: #max_delay,
                timeout_ms: #timeout,
            },
        }
    }
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let args = PolicyFileArgs::parse(input)?;
    let path = resolve(&args);
    let label = path.display().to_string();
    let fail = |messages: Vec<String>| {
        let mut all = messages.into_iter();
        let first = syn::Error::new(args.file.span(), all.next().unwrap_or_default());
        all.fold(first, |mut error, message| {
            error.combine(syn::Error::new(args.file.span(), message));
            error
        })
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        fail(vec![format!(
            "{label}: cannot read the retry-policy file: {e}"
        )])
    })?;
    let value = policy_toml::parse(&label, &text).map_err(|e| fail(vec![e]))?;
    let entries = validate_file(&label, &value).map_err(fail)?;
    let krate = &args.krate;
    let literals: Vec<TokenStream> = entries
        .iter()
        .map(|(name, patch)| entry(krate, name, line_of(&text, name), patch))
        .collect();
    let count = literals.len();
    let var = option(args.env.as_ref());
    // `include_str!` and `option_env!` make cargo rebuild the crate when the file or the
    // variable changes.
    let tracked_env = args.env.as_ref().map(|var| {
        quote!(
            const _: ::core::option::Option<&str> = ::core::option_env!(#var);
        )
    });
    Ok(quote! {
        const _: () = {
            const _: &str = ::core::include_str!(#label);
            #tracked_env
            static ENTRIES: [#krate::__private::PolicyFileEntry; #count] = [#(#literals),*];
            #krate::__private::inventory::submit! {
                #krate::__private::PolicyFileDef {
                    path: #label,
                    var: #var,
                    entries: &ENTRIES,
                }
            }
        };

        /// The declaring crate's own check that every name in its retry-policy file is
        /// registered by the code linked into its tests.
        #[cfg(test)]
        mod __sluice_retry_policies {
            #[test]
            fn every_name_in_the_retry_policy_file_is_registered() {
                if let ::core::result::Result::Err(errors) = #krate::config::check_file(#label) {
                    ::core::panic!("{}", errors.join("\n"));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const TEXT: &str = r#"# [policies."mailer"] in a comment is not an entry
[policies."mailer"]
retries = { limit = 8 }

[policies.'orders.load']
timeout = "1 minute"

[policies]
refunds = { timeout = "2 minutes" }
"#;

    #[test]
    fn an_entry_is_found_on_its_header_or_its_key() {
        assert_eq!(line_of(TEXT, "mailer"), 2);
        assert_eq!(line_of(TEXT, "orders.load"), 5);
        assert_eq!(line_of(TEXT, "refunds"), 9);
        assert_eq!(line_of(TEXT, "absent"), 0);
    }
}
