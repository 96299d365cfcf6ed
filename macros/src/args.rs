//! The arguments of each macro as a typed struct. Built through the error accumulator: every
//! bad option is reported (spanned, all at once); a struct exists only when its attribute is
//! entirely valid, so code generation from it cannot fail.

use crate::attr::{self, Opt, Options};
use crate::errors::Errors;
use crate::policy_args;
use crate::template::Template;
use proc_macro2::{Span, TokenStream};
use sluice_policy::PolicyPatch;
use syn::{Expr, LitStr, Meta};

/// `#[sender(..)]` / `#[dispatcher(..)]`: defaults for every handler.
pub struct SenderArgs {
    pub name: LitStr,
    pub policy: PolicyPatch,
    pub idempotency_key: Option<Template>,
    /// The Worker var without which the effect has nothing to do: its handlers then run no
    /// step at all (no step, no replay cost).
    pub requires_var: Option<LitStr>,
    /// Where the framework is reached (`crate = ..`, default `::sluice`).
    pub krate: syn::Path,
}

/// `#[step(..)]` on a handler method inside a `#[sender]`/`#[dispatcher]` impl: its overrides.
pub struct HandlerArgs {
    pub policy: PolicyPatch,
    pub idempotency_key: Option<Template>,
}

/// `#[step(..)]` on a free function: a durable step.
pub struct StepArgs {
    pub name: LitStr,
    pub policy: PolicyPatch,
    pub idempotency_key: Option<Template>,
    pub krate: syn::Path,
}

/// `#[workflow(..)]`.
pub struct WorkflowArgs {
    pub class: LitStr,
    pub binding: LitStr,
    pub name: LitStr,
    pub policy: PolicyPatch,
    pub steps: Vec<syn::Path>,
    pub fans_out: bool,
    /// The body waits for events (`step.waitForEvent`): the manifest draws its wait loop.
    pub waits_for_events: bool,
    pub krate: syn::Path,
}

/// Every option's value as read; which ones a macro takes is decided by its key list.
#[derive(Default)]
struct Read {
    name: Option<LitStr>,
    class: Option<LitStr>,
    binding: Option<LitStr>,
    policy: PolicyPatch,
    idempotency_key: Option<Template>,
    steps: Option<Vec<syn::Path>>,
    fans_out: Option<bool>,
    waits_for_events: Option<bool>,
    requires_var: Option<LitStr>,
    krate: Option<syn::Path>,
    file: Option<LitStr>,
    env: Option<LitStr>,
}

fn steps(meta: &Meta, errors: &mut Errors) -> Option<Vec<syn::Path>> {
    match attr::name_value(meta, "steps = [..]", errors)? {
        Expr::Array(array) => {
            let mut paths = Vec::new();
            for elem in &array.elems {
                match elem {
                    Expr::Path(p) => paths.push(p.path.clone()),
                    other => errors.spanned(other, "expected the name of a #[step] function"),
                }
            }
            Some(paths)
        }
        other => {
            errors.spanned(
                other,
                "expected a list of #[step] functions, e.g. `steps = [load, post]`",
            );
            None
        }
    }
}

fn read(
    tokens: TokenStream,
    allowed: &[Opt],
    what: &str,
    errors: &mut Errors,
) -> syn::Result<(Options, Read)> {
    let mut read = Read::default();
    let options = attr::parse(
        tokens,
        allowed,
        what,
        errors,
        |key, meta, errors| match key {
            Opt::Name => read.name = attr::string(meta, errors),
            Opt::Class => read.class = attr::string(meta, errors),
            Opt::Binding => read.binding = attr::string(meta, errors),
            Opt::Retries => policy_args::retries(meta, &mut read.policy, errors),
            Opt::Timeout => policy_args::timeout(meta, &mut read.policy, errors),
            Opt::IdempotencyKey => {
                read.idempotency_key =
                    attr::string(meta, errors).and_then(|text| errors.ok(Template::parse(&text)));
            }
            Opt::Steps => read.steps = steps(meta, errors),
            Opt::FansOut => read.fans_out = attr::boolean(meta, errors),
            Opt::WaitsForEvents => read.waits_for_events = attr::boolean(meta, errors),
            Opt::RequiresVar => read.requires_var = attr::string(meta, errors),
            Opt::Crate => read.krate = attr::krate(meta, errors),
            Opt::File => read.file = attr::string(meta, errors),
            Opt::Env => read.env = attr::string(meta, errors),
        },
    )?;
    Ok((options, read))
}

/// A required option: missing is reported at `at` (an invalid value was reported already).
fn require<T>(
    value: Option<T>,
    options: &Options,
    key: Opt,
    what: &str,
    at: Span,
    errors: &mut Errors,
) -> Option<T> {
    if !options.has(key) {
        errors.at(
            at,
            format!("{} requires `{} = \"...\"`", attr::shown(what), key.text()),
        );
    }
    value
}

impl SenderArgs {
    const KEYS: &'static [Opt] = &[
        Opt::Name,
        Opt::Retries,
        Opt::Timeout,
        Opt::IdempotencyKey,
        Opt::RequiresVar,
        Opt::Crate,
    ];

    /// `what` is `sender` or `dispatcher`; a missing name is reported at `at`.
    pub fn parse(tokens: TokenStream, what: &str, at: Span) -> syn::Result<SenderArgs> {
        let mut errors = Errors::default();
        let (options, read) = read(tokens, Self::KEYS, what, &mut errors)?;
        let name = require(read.name, &options, Opt::Name, what, at, &mut errors);
        errors.finish(())?;
        Ok(SenderArgs {
            name: name.expect("reported when missing"),
            policy: read.policy,
            idempotency_key: read.idempotency_key,
            requires_var: read.requires_var,
            krate: read.krate.unwrap_or_else(attr::default_krate),
        })
    }
}

impl HandlerArgs {
    const KEYS: &'static [Opt] = &[Opt::Retries, Opt::Timeout, Opt::IdempotencyKey];

    pub fn parse(tokens: TokenStream) -> syn::Result<HandlerArgs> {
        let mut errors = Errors::default();
        let (_, read) = read(tokens, Self::KEYS, "step", &mut errors)?;
        errors.finish(HandlerArgs {
            policy: read.policy,
            idempotency_key: read.idempotency_key,
        })
    }
}

impl StepArgs {
    const KEYS: &'static [Opt] = &[
        Opt::Name,
        Opt::Retries,
        Opt::Timeout,
        Opt::IdempotencyKey,
        Opt::Crate,
    ];

    /// A missing name is reported at `at`.
    pub fn parse(tokens: TokenStream, at: Span) -> syn::Result<StepArgs> {
        let mut errors = Errors::default();
        let (options, read) = read(tokens, Self::KEYS, "step", &mut errors)?;
        let name = require(read.name, &options, Opt::Name, "step", at, &mut errors);
        if let Some(template) = read.idempotency_key.as_ref().filter(|t| t.uses("event_id")) {
            // Steps have no event; `{event_id}` would silently mean a field of the input.
            errors.at(
                template.literal.span(),
                "`{event_id}` is only available to sender and dispatcher handlers",
            );
        }
        errors.finish(())?;
        Ok(StepArgs {
            name: name.expect("reported when missing"),
            policy: read.policy,
            idempotency_key: read.idempotency_key,
            krate: read.krate.unwrap_or_else(attr::default_krate),
        })
    }
}

impl WorkflowArgs {
    const KEYS: &'static [Opt] = &[
        Opt::Class,
        Opt::Binding,
        Opt::Name,
        Opt::Retries,
        Opt::Timeout,
        Opt::Steps,
        Opt::FansOut,
        Opt::WaitsForEvents,
        Opt::Crate,
    ];

    /// Missing required options are reported at `at`.
    pub fn parse(tokens: TokenStream, at: Span) -> syn::Result<WorkflowArgs> {
        let mut errors = Errors::default();
        let (options, read) = read(tokens, Self::KEYS, "workflow", &mut errors)?;
        let what = "workflow";
        let class = require(read.class, &options, Opt::Class, what, at, &mut errors);
        let binding = require(read.binding, &options, Opt::Binding, what, at, &mut errors);
        let name = require(read.name, &options, Opt::Name, what, at, &mut errors);
        errors.finish(())?;
        Ok(WorkflowArgs {
            class: class.expect("reported when missing"),
            binding: binding.expect("reported when missing"),
            name: name.expect("reported when missing"),
            policy: read.policy,
            steps: read.steps.unwrap_or_default(),
            fans_out: read.fans_out.unwrap_or(false),
            waits_for_events: read.waits_for_events.unwrap_or(false),
            krate: read.krate.unwrap_or_else(attr::default_krate),
        })
    }
}

/// `retry_policies!(..)`: an application's retry-policy file.
pub struct PolicyFileArgs {
    /// The file, relative to the declaring crate's directory.
    pub file: LitStr,
    /// The environment variable that, when set, names another file instead.
    pub env: Option<LitStr>,
    pub krate: syn::Path,
}

impl PolicyFileArgs {
    const KEYS: &'static [Opt] = &[Opt::File, Opt::Env, Opt::Crate];

    pub fn parse(tokens: TokenStream) -> syn::Result<PolicyFileArgs> {
        let mut errors = Errors::default();
        let what = "retry_policies!";
        let (options, read) = read(tokens, Self::KEYS, what, &mut errors)?;
        let at = Span::call_site();
        let file = require(read.file, &options, Opt::File, what, at, &mut errors);
        errors.finish(())?;
        Ok(PolicyFileArgs {
            file: file.expect("reported when missing"),
            env: read.env,
            krate: read.krate.unwrap_or_else(attr::default_krate),
        })
    }
}
