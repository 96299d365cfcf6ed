//! The macros through a re-export (`crate = "crate::fw"`), the crate's own policy file, the
//! manifest as a library call, and the native host's refusals, on a crate that uses the
//! framework alone.

use fw::manifest::{self, Output};
use fw::native::{NativeServices, NativeStep};
use fw::registry;
use fw::workflow::WorkflowRun;
use serde_json::json;
use sluice_macros_reexport_test::fw;
use std::rc::Rc;

fn run(class_name: &'static str, step: Rc<NativeStep>) -> WorkflowRun {
    WorkflowRun {
        class_name,
        instance_id: "order-1".into(),
        payload: json!({ "order_id": "order-1" }),
        step,
        services: Rc::new(NativeServices::default()),
    }
}

#[test]
fn every_macro_registers_through_the_reexport() {
    sluice_macros_reexport_test::link();
    let shop = registry::workflow("ShopWorkflow").expect("registered");
    let steps: Vec<&str> = shop.steps.iter().map(|s| s.name).collect();
    assert_eq!(steps, ["orders.load"]);
    let mailer = registry::effects("ShopWorkflow");
    assert_eq!(mailer.len(), 1);
    assert_eq!(mailer[0].name, "mailer");
    assert_eq!(mailer[0].handlers[0].event, "ORDER_SHIPPED");
    assert_eq!(registry::validate(), Ok(()));
}

#[test]
fn the_crates_own_policy_file_applies_with_its_lines() {
    sluice_macros_reexport_test::link();
    let files = fw::config::files();
    assert_eq!(files.len(), 1, "only this crate's file is linked");
    let file = files[0];
    assert!(
        file.path.ends_with("reexport/retry-policies.toml"),
        "{}",
        file.path
    );
    assert_eq!(file.var, Some("SLUICE_REEXPORT_TEST_RETRY_POLICIES"));
    let lines: Vec<(&str, u32)> = file
        .entries
        .iter()
        .map(|e| (e.policy.name, e.line))
        .collect();
    assert_eq!(lines, [("mailer", 3), ("orders.load", 6)]);
    let mailer = registry::effects("ShopWorkflow")[0];
    let handler = &mailer.handlers[0];
    assert_eq!(handler.config.retries.limit, 2, "the attribute's");
    assert_eq!(
        handler.effective_config(mailer).retries.limit,
        7,
        "the file's"
    );
    assert_eq!(fw::config::check_file(file.path), Ok(()));
}

#[test]
fn the_manifest_is_a_library_call_and_draws_wait_loops_only_for_waiting_workflows() {
    sluice_macros_reexport_test::link();
    let graph = manifest::render(Output::Mermaid).expect("a valid registry");
    let subgraph = |class: &str| {
        let start = graph.find(&format!("subgraph {class}[")).unwrap();
        let end = start + graph[start..].find("  end\n").unwrap();
        graph[start..end].to_owned()
    };
    assert!(
        subgraph("ReturnsWorkflow").contains("wait for next event"),
        "{graph}"
    );
    let shop = subgraph("ShopWorkflow");
    assert!(shop.contains("ORDER_SHIPPED"), "{shop}");
    assert!(
        !shop.contains("wait"),
        "a fan-out that does not wait has no loop: {shop}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest::render(Output::Json).unwrap()).unwrap();
    assert_eq!(manifest["workflows"].as_array().unwrap().len(), 3);
}

#[test]
fn a_wait_in_a_workflow_that_does_not_declare_it_fails_on_the_native_host() {
    sluice_macros_reexport_test::link();
    let def = registry::workflow("SilentWaitWorkflow").unwrap();
    let step = Rc::new(NativeStep::new());
    step.send_event("ORDER_RETURNED", json!({}));
    let error = step
        .run_to_completion(def, run("SilentWaitWorkflow", step.clone()))
        .expect_err("the wait is refused");
    assert!(
        error
            .0
            .contains("does not declare `waits_for_events = true`"),
        "{error:?}"
    );

    let def = registry::workflow("ReturnsWorkflow").unwrap();
    let step = Rc::new(NativeStep::new());
    step.send_event("ORDER_RETURNED", json!({ "why": "too small" }));
    let output = step
        .run_to_completion(def, run("ReturnsWorkflow", step.clone()))
        .expect("a declared wait receives its event");
    assert_eq!(output["returned"], json!({ "why": "too small" }));
}
