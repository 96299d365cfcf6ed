//! The manifest of all four workflows, held as snapshots: any change to a definition (a step,
//! a policy, a sender, a payload type) shows up as a reviewed diff.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test` and git diff).

#[test]
fn manifest_json() {
    incidentd_workflows::link();
    insta::assert_json_snapshot!("manifest", sluice::manifest::json());
}

#[test]
fn manifest_mermaid() {
    incidentd_workflows::link();
    insta::assert_snapshot!("manifest_mermaid", sluice::manifest::mermaid());
}

#[test]
fn every_workflow_in_wrangler_toml_is_registered_and_vice_versa() {
    incidentd_workflows::link();
    let wrangler =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wrangler.toml")).unwrap();
    let registered = sluice::registry::workflows();
    assert_eq!(registered.len(), 4);
    for w in &registered {
        let block = format!(
            "name = \"{}\"\nbinding = \"{}\"\nclass_name = \"{}\"",
            w.name, w.binding, w.class_name
        );
        assert!(
            wrangler.contains(&block),
            "wrangler.toml lacks the [[workflows]] block of {}:\n{block}",
            w.class_name
        );
    }
    assert_eq!(
        wrangler.matches("[[workflows]]").count(),
        registered.len(),
        "wrangler.toml declares a workflow nothing registers"
    );
}
