//! The manifest: every registered workflow's definition, as JSON and as a Mermaid graph —
//! payload schemas, steps in order, effective retry policies (and where they came from),
//! idempotency keys, and which senders and dispatchers handle which event type. Snapshot
//! tests hold it, so any change to a definition shows as a reviewed diff.

use crate::config;
use crate::registry::{self, EffectDef, HandlerDef, WorkflowDef};
use crate::retry::{Backoff, StepConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;

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
        if workflow.fans_out {
            let wait = node_id(&[class, "wait"]);
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
                        "    {id}[\"{kind} {}<br/>{}<br/>key {}\"]\n    {event_id} --> {id}\n    {id} --> {wait}\n",
                        handler.step_name(effect),
                        policy_label(&handler.effective_config(effect)),
                        handler.idempotency_key
                    ));
                }
            }
            out.push_str(&format!(
                "    {wait}([\"wait for next event\"])\n    {wait} -.-> {previous}\n"
            ));
        }
        out.push_str("  end\n");
    }
    out
}
