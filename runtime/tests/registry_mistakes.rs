//! Mistakes the registry check reports for any application, each naming where to fix it: a
//! policy-file name nothing registers (with the file and line, and the closest name), one name
//! set by two files, and a `#[step]` no workflow lists. This binary registers them on purpose,
//! as `retry_policies!` and the attribute macros would.

use serde_json::{json, Value};
use sluice::__private::{inventory, PolicyFileDef, PolicyFileEntry, PolicyOverride};
use sluice::prelude::*;
use sluice::{config, registry};

#[derive(Clone, serde::Deserialize, schemars::JsonSchema)]
pub struct Order {
    pub order_id: String,
}

#[step(name = "orders.load")]
async fn load(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

#[step(name = "orders.forgotten")]
async fn forgotten(ctx: StepContext, order: Order) -> Result<String, EffectError> {
    let _ = ctx;
    Ok(order.order_id)
}

#[workflow(class = "OrderWorkflow", binding = "ORDER_WORKFLOW", name = "order-workflow", steps = [load])]
pub async fn order_workflow(run: WorkflowRun, order: Order) -> Result<Value, WorkflowError> {
    Ok(json!(LOAD.call(&run, order).await?))
}

const fn entry(line: u32, name: &'static str) -> PolicyFileEntry {
    PolicyFileEntry {
        line,
        policy: PolicyOverride {
            name,
            limit: Some(1),
            delay_ms: None,
            backoff: None,
            max_delay_ms: None,
            timeout_ms: None,
        },
    }
}

static ORDERS: [PolicyFileEntry; 2] = [entry(4, "orders.lod"), entry(7, "orders.load")];
static BILLING: [PolicyFileEntry; 1] = [entry(2, "orders.load")];

inventory::submit! {
    PolicyFileDef { path: "orders/retry-policies.toml", var: Some("ORDERS_RETRY_POLICIES"), entries: &ORDERS }
}
inventory::submit! {
    PolicyFileDef { path: "billing/retry-policies.toml", var: None, entries: &BILLING }
}

fn errors() -> Vec<String> {
    registry::validate().expect_err("mistakes are registered")
}

#[test]
fn a_policy_name_nothing_registers_is_reported_with_its_file_line_and_the_closest_name() {
    let expected = "orders/retry-policies.toml:4: policies.\"orders.lod\" names no registered step, sender, dispatcher or handler; did you mean \"orders.load\"? allowed names: ";
    let errors = errors();
    let unknown: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("orders.lod\""))
        .collect();
    assert_eq!(unknown.len(), 1, "{errors:#?}");
    assert!(unknown[0].starts_with(expected), "{}", unknown[0]);
    // The check the declaring crate's generated unit test runs: its own file only.
    let own = config::check_file("orders/retry-policies.toml").expect_err("the typo");
    assert_eq!(own.len(), 1, "{own:#?}");
    assert!(own[0].starts_with(expected), "{}", own[0]);
    assert_eq!(config::check_file("billing/retry-policies.toml"), Ok(()));
}

#[test]
fn one_name_set_by_two_files_is_reported_with_both_places() {
    let errors = errors();
    let twice: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("is set 2 times"))
        .collect();
    assert_eq!(twice.len(), 1, "{errors:#?}");
    assert!(
        twice[0].contains("billing/retry-policies.toml:2")
            && twice[0].contains("orders/retry-policies.toml:7"),
        "{}",
        twice[0]
    );
}

#[test]
fn a_step_no_workflow_lists_is_reported() {
    let errors = errors();
    assert!(
        errors.contains(&"the #[step] \"orders.forgotten\" is listed in no workflow's `steps = [..]`; list it in the workflow that calls it".to_owned()),
        "{errors:#?}"
    );
    assert!(
        !errors
            .iter()
            .any(|e| e.contains("\"orders.load\" is listed in no")),
        "{errors:#?}"
    );
}
