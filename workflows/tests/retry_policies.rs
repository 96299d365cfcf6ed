//! retry-policies.toml: every name it overrides exists, its checked-in JSON Schema is current,
//! and its overrides reach the effective policy.

use sluice::config::{PolicyFile, FILE};

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn every_overridden_name_is_a_registered_step_sender_or_handler() {
    incidentd_workflows::link();
    let known = sluice::registry::known_policy_names();
    let overridden: Vec<&str> = sluice::config::overrides()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert!(
        overridden.contains(&"dashboard"),
        "{FILE} is embedded: {overridden:?}"
    );
    let unknown: Vec<&&str> = overridden
        .iter()
        .filter(|name| !known.iter().any(|k| k == **name))
        .collect();
    assert!(
        unknown.is_empty(),
        "{FILE}: unknown policy name(s) {unknown:?}; allowed names are the registered steps, senders, dispatchers and handlers: {known:?}"
    );
}

#[test]
fn the_checked_in_schema_is_generated_from_the_config_types() {
    let generated = serde_json::to_value(schemars::schema_for!(PolicyFile)).unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_str(&read("retry-policies.schema.json")).unwrap();
    assert_eq!(
        on_disk, generated,
        "retry-policies.schema.json is stale: regenerate it with `cargo run -p incidentd-workflows --bin incidentd-manifest -- policy-schema > retry-policies.schema.json`"
    );
}

#[test]
fn the_file_override_reaches_the_effective_policy() {
    incidentd_workflows::link();
    let dashboard = sluice::registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "dashboard")
        .unwrap();
    let handler = &dashboard.handlers[0];
    assert_eq!(handler.config.retries.limit, 12, "attribute default");
    assert_eq!(
        handler.effective_config(dashboard).retries.limit,
        20,
        "overridden by {FILE}"
    );
    assert_eq!(
        handler.effective_config(dashboard).retries.delay,
        handler.config.retries.delay,
        "unset fields keep the attribute's value"
    );
}
