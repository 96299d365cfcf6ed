//! Checks of the whole registry that no single macro expansion can make: names shared by two
//! registrations, steps no workflow lists, and retry-policy entries naming nothing registered
//! (or set twice). The manifest binary runs
//! them before every subcommand, so `scripts/build` fails on them; a test runs them too.

use crate::config::{self, PolicyOverride};
use crate::registry::{self, EffectDef, EffectKind};
use sluice_policy::suggest::closest;
use std::collections::BTreeMap;

fn kind(effect: &EffectDef) -> &'static str {
    match effect.kind {
        EffectKind::Sender => "sender",
        EffectKind::Dispatcher => "dispatcher",
    }
}

/// Effect names name steps (`<name>.<method>:<event id>`) and policy entries: two effects
/// with one name would share both.
fn duplicate_effect_names(errors: &mut Vec<String>) {
    let mut by_name: BTreeMap<&str, Vec<&EffectDef>> = BTreeMap::new();
    for effect in registry::all_effects() {
        by_name.entry(effect.name).or_default().push(effect);
    }
    for (name, effects) in by_name.into_iter().filter(|(_, e)| e.len() > 1) {
        let who: Vec<String> = effects
            .iter()
            .map(|e| format!("the {} `{}`", kind(e), e.type_path))
            .collect();
        errors.push(format!(
            "{} effects are named {name:?}: {}; give each #[sender]/#[dispatcher] its own `name` \
             (it names their steps and their retry-policy entries)",
            effects.len(),
            who.join(" and ")
        ));
    }
}

/// Fan-out runs the first handler of an event only: a second one would silently never run.
fn duplicate_handlers(errors: &mut Vec<String>) {
    for effect in registry::all_effects() {
        let mut methods: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for handler in effect.handlers {
            methods
                .entry(handler.event)
                .or_default()
                .push(handler.method);
        }
        for (event, methods) in methods.into_iter().filter(|(_, m)| m.len() > 1) {
            errors.push(format!(
                "the {} {:?} handles {event} in {} methods ({}); only one would ever run",
                kind(effect),
                effect.name,
                methods.len(),
                methods.join(", ")
            ));
        }
    }
}

/// Class names are the exported JS classes; two would collide in the generated entry.
fn duplicate_workflows(errors: &mut Vec<String>) {
    let workflows = registry::workflows();
    for pair in workflows.windows(2) {
        if pair[0].class_name == pair[1].class_name {
            errors.push(format!(
                "two #[workflow]s declare class {:?} (functions registering {:?} and {:?})",
                pair[0].class_name, pair[0].name, pair[1].name
            ));
        }
    }
}

/// Step names are durable `step.do` names and policy names.
fn duplicate_steps(errors: &mut Vec<String>) {
    let mut seen: BTreeMap<&str, *const crate::registry::StepDef> = BTreeMap::new();
    for workflow in registry::workflows() {
        for step in workflow.steps {
            let this: *const _ = *step;
            match seen.insert(step.name, this) {
                Some(other) if other != this => errors.push(format!(
                    "two #[step] functions are named {:?}; step names must be unique (they name durable steps and retry-policy entries)",
                    step.name
                )),
                _ => {}
            }
        }
    }
}

/// A policy entry for a name nothing registers would silently do nothing: the error, naming
/// where the entry is written (`file:line`), the closest registered name and all of them.
pub(crate) fn unknown_policy_name(policy: &PolicyOverride) -> Option<String> {
    let known = registry::known_policy_names();
    if known.iter().any(|k| k == policy.name) {
        return None;
    }
    let hint = closest(policy.name, known.iter().map(String::as_str))
        .map(|c| format!("did you mean {c:?}? "))
        .unwrap_or_default();
    let allowed: Vec<String> = known.iter().map(|k| format!("{k:?}")).collect();
    Some(format!(
        "{}: policies.{:?} names no registered step, sender, dispatcher or handler; {hint}allowed names: {}",
        config::origin(policy),
        policy.name,
        allowed.join(", ")
    ))
}

fn unknown_policy_names(errors: &mut Vec<String>) {
    errors.extend(
        config::overrides()
            .into_iter()
            .filter_map(unknown_policy_name),
    );
}

/// Two files (or two entries) setting one name: which one applies would depend on link order.
fn duplicate_policy_names(errors: &mut Vec<String>) {
    let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for policy in config::overrides() {
        by_name
            .entry(policy.name)
            .or_default()
            .push(config::origin(policy));
    }
    for (name, origins) in by_name.into_iter().filter(|(_, o)| o.len() > 1) {
        errors.push(format!(
            "policies.{name:?} is set {} times ({}); keep one entry per name",
            origins.len(),
            origins.join(", ")
        ));
    }
}

/// A `#[step]` no workflow lists would run unseen by the manifest (its policy and key with it).
fn unlisted_steps(errors: &mut Vec<String>) {
    let workflows = registry::workflows();
    for declared in registry::declared_steps() {
        let listed = workflows
            .iter()
            .any(|w| w.steps.iter().any(|s| std::ptr::eq(*s, declared.def)));
        if !listed {
            errors.push(format!(
                "the #[step] {:?} is listed in no workflow's `steps = [..]`; list it in the workflow that calls it",
                declared.def.name
            ));
        }
    }
}

/// Every registry check; `Err` lists each problem in a sentence naming what to change.
pub fn validate() -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    duplicate_workflows(&mut errors);
    duplicate_steps(&mut errors);
    duplicate_effect_names(&mut errors);
    duplicate_handlers(&mut errors);
    unlisted_steps(&mut errors);
    unknown_policy_names(&mut errors);
    duplicate_policy_names(&mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
