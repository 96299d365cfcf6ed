//! docs/openapi.json is exactly the document the server serves at /openapi.json.

#[test]
fn the_checked_in_openapi_document_is_current() {
    let generated = incidentd_adapters::dashboard::receiver::openapi::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        on_disk, generated,
        "docs/openapi.json is stale: regenerate with `cargo run -p incidentd-workflows --bin incidentd-manifest -- openapi > docs/openapi.json`"
    );
    let paths = generated["paths"].as_object().unwrap();
    for route in [
        "/dashboard/incidents",
        "/dashboard/incidents/{id}/status",
        "/dashboard/incidents/{id}/dead-letters/{event_id}/replay",
        "/dashboard/incidents/{id}/failed-effects",
        "/dashboard/incidents/{id}/failed-effects/{event_id}/{effect}/retry",
    ] {
        assert!(paths.contains_key(route), "{route} documented");
    }
}
