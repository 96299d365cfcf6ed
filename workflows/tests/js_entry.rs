//! The checked-in wrangler entry (js/entry.mjs) is exactly what the registry generates.

#[test]
fn js_entry_matches_the_registry() {
    incidentd_workflows::link();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../js/entry.mjs");
    let on_disk = std::fs::read_to_string(path).expect("js/entry.mjs exists");
    let generated = sluice::registry::js_entry();
    assert_eq!(
        on_disk.trim_end(),
        generated.trim_end(),
        "js/entry.mjs is stale: regenerate it with scripts/build (it is never edited by hand)"
    );
    for class in [
        "IncidentWorkflow",
        "IncidentPromptWorkflow",
        "IncidentAgentTurnWorkflow",
        "IncidentAnalysisWorkflow",
    ] {
        assert!(
            on_disk.contains(&format!("export class {class} extends WorkflowEntrypoint")),
            "{class} exported"
        );
    }
}
