//! The retry-policy file applies wherever the runtime is linked, not only with the workflows:
//! here only the adapters are, and the dashboard sender still sees its override.

use sluice::config::{self, FILE};
use sluice::registry;

#[test]
fn the_file_override_applies_without_the_workflows_crate() {
    incidentd_adapters::link();
    let dashboard = registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "dashboard")
        .expect("registered by the adapters");
    let handler = &dashboard.handlers[0];
    let step = handler.step_name(dashboard);
    // retry-policies.toml: [policies."dashboard"] retries = { limit = 20 }
    assert_eq!(handler.config.retries.limit, 12, "the attribute's limit");
    assert_eq!(
        handler.effective_config(dashboard).retries.limit,
        20,
        "{FILE} raises it"
    );
    assert_eq!(config::source(&step, Some(dashboard.name)), FILE);
}

#[test]
fn a_sender_the_file_does_not_name_keeps_its_attribute_policy() {
    incidentd_adapters::link();
    let webhook = registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "webhook")
        .unwrap();
    let handler = &webhook.handlers[0];
    assert_eq!(handler.effective_config(webhook), handler.config);
    assert_eq!(
        config::source(&handler.step_name(webhook), Some(webhook.name)),
        "attribute"
    );
}
