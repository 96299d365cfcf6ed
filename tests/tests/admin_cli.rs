//! Configuring a tenant from zero with `incidentctl admin`, on local workerd, then declaring an
//! incident for it: the one on call is paged and the tenant's status page is served.

use incidentd_e2e::{incidentctl_binary, LocalWorker, TEST_ADMIN_TOKEN};
use serde_json::Value;
use std::process::Command;

fn incidentctl(url: &str, extra_env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let output = Command::new(incidentctl_binary())
        .args(["--url", url])
        .args(args)
        .env_remove("INCIDENTD_URL")
        .env_remove("INCIDENTD_CLIENT")
        .env_remove("INCIDENTD_SECRET")
        .env("INCIDENTD_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .envs(extra_env.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .expect("incidentctl runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_tenant_configured_from_zero_pages_its_on_call_and_serves_its_status_page() {
    let worker = LocalWorker::start("admin-cli");
    let url = worker.base_url();
    let admin = |args: &[&str]| {
        let (ok, out, err) = incidentctl(&url, &[], &[&["admin"], args].concat());
        assert!(ok, "incidentctl admin {args:?}: {out}{err}");
        out
    };
    admin(&["tenant", "create", "acme", "--name", "Acme"]);
    admin(&["service", "set", "acme", "api", "--name", "Public API"]);
    admin(&[
        "rotation",
        "set",
        "acme",
        "primary",
        "--member",
        "alice",
        "--member",
        "bob",
        "--shift-hours",
        "24",
        "--handoff",
        "09:00",
        "--zone",
        "Europe/Berlin",
        "--starts-on",
        "2026-01-01",
    ]);
    admin(&[
        "entry-point",
        "set",
        "acme",
        "oncall",
        "--rotation",
        "primary",
        "--prompt",
        "anything",
        "--fallback",
    ]);
    admin(&[
        "tenant",
        "status-page",
        "acme",
        "--slug",
        "acme",
        "--title",
        "Acme Status",
    ]);
    let rotated: Value =
        serde_json::from_str(&admin(&["tenant", "rotate-secret", "acme"])).expect("JSON reply");
    let secret = rotated["signing_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("the new secret is shown once: {rotated}"))
        .to_owned();
    let shown = admin(&["tenant", "show", "acme"]);
    assert!(!shown.contains(&secret), "show never prints a secret");

    let (ok, out, err) = incidentctl(
        &url,
        &[("INCIDENTD_CLIENT", "acme"), ("INCIDENTD_SECRET", &secret)],
        &["--json", "create", "api errors for acme"],
    );
    assert!(ok, "create as acme: {out}{err}");
    let created: Value = serde_json::from_str(&out).expect("JSON");
    let assignee = created["incident"]["assignee"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(["alice", "bob"].contains(&assignee.as_str()), "{created}");

    let page = ureq::get(&format!("{url}/status/acme"))
        .call()
        .expect("the page");
    let html = page.into_string().unwrap();
    assert!(
        html.contains("Acme Status") && html.contains("Public API"),
        "{html}"
    );
}
