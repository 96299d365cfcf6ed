//! The manifest: every registered workflow's definition, as JSON and as a Mermaid graph —
//! payload schemas, steps in order, effective retry policies (and where they came from),
//! idempotency keys, and which senders and dispatchers handle which event type. Snapshot
//! tests hold it, so any change to a definition shows as a reviewed diff.
//!
//! Any crate can generate it: [`render`] validates the registry it links and returns one
//! output, and [`main`] is a whole generator binary:
//!
//! ```ignore
//! // src/bin/manifest.rs of an application
//! fn main() -> std::process::ExitCode {
//!     my_app::link(); // keep the crate's registrations in the link
//!     sluice::manifest::main("my-app-manifest", &[])
//! }
//! ```

use crate::config;
use crate::registry::{self, EffectDef, HandlerDef, WorkflowDef};
use crate::retry::{Backoff, StepConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;

fn config_json(config: &StepConfig, source: &str) -> Value {
    let mut value = config.to_workflow_json();
    if let Some(cap) = config.retries.max_delay {
        value["retries"]["max_delay"] = json!(cap.to_workflow_string());
    }
    value["source"] = json!(source);
    value
}

fn handler_json(effect: &EffectDef, handler: &HandlerDef) -> Value {
    let step = handler.step_name(effect);
    let config = handler.effective_config(effect);
    json!({
        "effect": effect.name,
        "kind": effect.kind,
        "requires_var": effect.requires_var,
        "step": format!("{step}:{{event_id}}"),
        "config": config_json(&config, config::source(&step, Some(effect.name))),
        // Lanes retry on the framework's schedule: how long an outage the policy rides out.
        "rides_out": config.retries.total_delay().to_workflow_string(),
        "idempotency_key": handler.idempotency_key,
    })
}

/// Event type → its handlers, in fan-out order.
fn fan_out(
    workflow: &WorkflowDef,
) -> BTreeMap<&'static str, Vec<(&'static EffectDef, &'static HandlerDef)>> {
    let mut by_event: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for effect in registry::effects(workflow.class_name) {
        for handler in effect.handlers {
            by_event
                .entry(handler.event)
                .or_default()
                .push((effect, handler));
        }
    }
    by_event
}

fn workflow_json(workflow: &WorkflowDef) -> Value {
    let steps: Vec<Value> = workflow
        .steps
        .iter()
        .map(|step| {
            let attribute = step.config.unwrap_or(workflow.defaults);
            let effective = config::effective(step.name, None, attribute);
            json!({
                "name": step.name,
                "config": config_json(&effective, config::source(step.name, None)),
                "idempotency_key": step.idempotency_key,
            })
        })
        .collect();
    let mut value = json!({
        "class": workflow.class_name,
        "binding": workflow.binding,
        "name": workflow.name,
        "defaults": workflow.defaults.to_workflow_json(),
        "payload_schema": (workflow.payload_schema)(),
        "steps": steps,
    });
    if workflow.fans_out {
        let events: BTreeMap<&str, Vec<Value>> = fan_out(workflow)
            .into_iter()
            .map(|(event, handlers)| {
                (
                    event,
                    handlers
                        .into_iter()
                        .map(|(e, h)| handler_json(e, h))
                        .collect(),
                )
            })
            .collect();
        value["fan_out"] = json!(events);
    }
    value
}

/// The whole manifest as JSON.
pub fn json() -> Value {
    let overrides: BTreeMap<&str, Value> = config::overrides()
        .into_iter()
        .map(|o| {
            (o.name, json!({ "limit": o.limit, "delay_ms": o.delay_ms, "backoff": o.backoff.map(Backoff::as_str), "timeout_ms": o.timeout_ms }))
        })
        .collect();
    json!({
        "workflows": registry::workflows().into_iter().map(workflow_json).collect::<Vec<_>>(),
        "policy_overrides": { "file": config::FILE, "entries": overrides },
    })
}

fn policy_label(config: &StepConfig) -> String {
    let r = &config.retries;
    let cap = r
        .max_delay
        .map(|cap| format!(" up to {cap}"))
        .unwrap_or_default();
    format!(
        "retries {} × {} {}{cap}, timeout {}",
        r.limit,
        r.delay,
        r.backoff.as_str(),
        config.timeout
    )
}

fn node_id(parts: &[&str]) -> String {
    parts
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The manifest as a Mermaid flowchart, one subgraph per workflow.
pub fn mermaid() -> String {
    let mut out = String::from("flowchart LR\n");
    for workflow in registry::workflows() {
        let class = workflow.class_name;
        out.push_str(&format!(
            "  subgraph {class}[\"{class} ({})\"]\n",
            workflow.name
        ));
        let start = node_id(&[class, "start"]);
        out.push_str(&format!(
            "    {start}([\"create: {}\"])\n",
            workflow.binding
        ));
        let mut previous = start;
        for step in workflow.steps {
            let id = node_id(&[class, step.name]);
            let effective =
                config::effective(step.name, None, step.config.unwrap_or(workflow.defaults));
            out.push_str(&format!(
                "    {id}[\"step {}<br/>{}<br/>key {}\"]\n    {previous} --> {id}\n",
                step.name,
                policy_label(&effective),
                step.idempotency_key
            ));
            previous = id;
        }
        let wait = node_id(&[class, "wait"]);
        if workflow.fans_out {
            for (event, handlers) in fan_out(workflow) {
                let event_id = node_id(&[class, event]);
                out.push_str(&format!(
                    "    {event_id}{{{{\"{event}\"}}}}\n    {previous} --> {event_id}\n"
                ));
                for (effect, handler) in handlers {
                    let id = node_id(&[class, effect.name, handler.method]);
                    let kind = serde_json::to_value(effect.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "    {id}[\"{kind} {}<br/>{}<br/>key {}\"]\n    {event_id} --> {id}\n",
                        handler.step_name(effect),
                        policy_label(&handler.effective_config(effect)),
                        handler.idempotency_key
                    ));
                    if workflow.waits_for_events {
                        out.push_str(&format!("    {id} --> {wait}\n"));
                    }
                }
            }
        }
        // Only a workflow that waits loops back for the next event.
        if workflow.waits_for_events {
            out.push_str(&format!(
                "    {wait}([\"wait for next event\"])\n    {wait} -.-> {previous}\n"
            ));
        }
        out.push_str("  end\n");
    }
    out
}

/// What [`render`] generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Every workflow's definition as JSON ([`json()`]).
    Json,
    /// The same as a Mermaid flowchart ([`mermaid`]).
    Mermaid,
    /// The wrangler `main` module ([`registry::js_entry`]).
    JsEntry,
    /// The JSON Schema of a retry-policy file.
    PolicySchema,
}

impl Output {
    /// Each output with its subcommand name.
    pub const ALL: [(&'static str, Output); 4] = [
        ("json", Output::Json),
        ("mermaid", Output::Mermaid),
        ("js-entry", Output::JsEntry),
        ("policy-schema", Output::PolicySchema),
    ];
}

/// One output of the registry linked into the calling binary, after [`registry::validate`]:
/// `Err` lists every problem, and nothing is generated from an invalid registry.
///
/// # Examples
///
/// ```
/// use serde_json::{json, Value};
/// use sluice::manifest::{render, Output};
/// use sluice::prelude::*;
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// pub struct Refund { pub order_id: String, pub cents: u64 }
///
/// #[workflow(class = "RefundWorkflow", binding = "REFUND_WORKFLOW", name = "refund")]
/// pub async fn refund(_run: WorkflowRun, refund: Refund) -> Result<Value, WorkflowError> {
///     Ok(json!({ "refunded": refund.order_id, "cents": refund.cents }))
/// }
///
/// let manifest: Value = serde_json::from_str(&render(Output::Json).expect("a valid registry"))?;
/// assert_eq!(manifest["workflows"][0]["class"], "RefundWorkflow");
/// let chart = render(Output::Mermaid).expect("a valid registry");
/// assert!(chart.contains("RefundWorkflow"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn render(output: Output) -> Result<String, Vec<String>> {
    registry::validate()?;
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    Ok(match output {
        Output::Json => pretty(&json()),
        Output::Mermaid => mermaid(),
        Output::JsEntry => registry::js_entry(),
        Output::PolicySchema => pretty(&json!(schemars::schema_for!(config::PolicyFile))),
    })
}

/// An application's own output of [`main`]: its subcommand and its generator.
pub type ExtraOutput<'a> = (&'a str, fn() -> String);

/// A generator binary's `main`: `program <output>` prints one [`Output`] (or one of `extra`,
/// the application's own) of the registry linked into it. An invalid registry prints every
/// problem and fails; an unknown subcommand prints the usage and exits with 2.
pub fn main(program: &str, extra: &[ExtraOutput<'_>]) -> ExitCode {
    let wanted = std::env::args().nth(1).unwrap_or_default();
    // The registry is checked before any output, the application's own too.
    let rendered = if let Some((_, output)) = Output::ALL.iter().find(|(n, _)| *n == wanted) {
        render(*output)
    } else if let Some((_, generate)) = extra.iter().find(|(n, _)| *n == wanted) {
        registry::validate().map(|()| generate())
    } else {
        let names: Vec<&str> = Output::ALL
            .iter()
            .map(|(name, _)| *name)
            .chain(extra.iter().map(|(name, _)| *name))
            .collect();
        eprintln!("usage: {program} {}", names.join(" | "));
        return ExitCode::from(2);
    };
    match rendered {
        Ok(text) => {
            println!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            eprintln!("{program}: the workflow registry is invalid; nothing was generated");
            ExitCode::FAILURE
        }
    }
}
