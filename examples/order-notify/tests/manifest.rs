//! The workflow's definition as the framework's manifest describes it: a change to a step, a
//! sender, a policy or an idempotency key shows here as a reviewed snapshot diff.

use sluice::manifest;

#[test]
fn definition() {
    order_notify::link();
    insta::assert_json_snapshot!("definition", manifest::json()["workflows"]);
}

#[test]
fn graph() {
    order_notify::link();
    insta::assert_snapshot!("graph", manifest::mermaid());
}

#[test]
fn the_webhook_override_is_listed() {
    order_notify::link();
    let entries = &manifest::json()["policy_overrides"]["entries"];
    assert_eq!(entries["webhook"]["limit"], 8);
}
