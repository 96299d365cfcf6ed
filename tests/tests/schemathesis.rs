//! The schema-driven check: schemathesis (installed by scripts/bootstrap into `.venv`, the
//! version pinned in tests/schemathesis/requirements.txt) generates requests from
//! `GET /openapi.json` against a worker on local workerd and fails on any 5xx, any response
//! the schema does not describe (status, content type, headers, body), and any request
//! accepted or refused contrary to the schema (positive and negative data, missing headers,
//! unsupported methods and their `Allow`, credentials that are not enforced).
//! tests/schemathesis/hooks.py signs the requests (dashboard HMAC, operator token, Slack v0).
//!
//! The run is bounded: a fixed number of examples per operation and deterministic generation
//! (the same cases every run), so it finishes in a few minutes on 2 cores and a failure
//! reproduces.

use incidentd_e2e::{repo_root, LocalWorker, TEST_ADMIN_TOKEN, TEST_SECRET};
use std::process::Command;
use std::time::Instant;

/// Examples per operation and phase: about 3,300 requests, 141 s of schemathesis on 2 busy
/// cores (12 gave 2,300 requests in 81 s and found nothing 40 did not).
const MAX_EXAMPLES: &str = "40";
const SLACK_SIGNING_SECRET: &str = "schemathesis-slack-signing-secret";
/// Base64 of 32 bytes of 7.
const SLACK_TOKEN_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

#[test]
fn the_live_server_keeps_to_its_openapi_document() {
    let root = repo_root();
    let st = root.join(".venv/bin/st");
    assert!(
        st.exists(),
        "{} is missing: run scripts/bootstrap (it installs schemathesis)",
        st.display()
    );
    let worker = LocalWorker::start_with_secrets(
        "schemathesis",
        &[],
        &[
            ("SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET),
            ("SLACK_TOKEN_KEY", SLACK_TOKEN_KEY),
            // The OAuth install configured, as deployed: its routes answer, never 503.
            ("SLACK_CLIENT_ID", "111.222"),
            ("SLACK_CLIENT_SECRET", "schemathesis-client-secret"),
            ("SLACK_STATE_SECRET", "schemathesis-state-secret"),
        ],
    );
    let base = worker.base_url();
    let report = worker.state_dir.join("schemathesis-report");
    let started = Instant::now();
    let mut command = Command::new(&st);
    command
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--url", &base])
        .args(["--checks", "all"])
        // Stateful checks that need links between operations or a second identity.
        .args([
            "--exclude-checks",
            "use_after_free,ensure_resource_availability,object_level_authorization",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", MAX_EXAMPLES])
        // Deterministic generation: the same cases every run (no seed, no example database).
        .arg("--generation-deterministic")
        .args(["--workers", "1", "--request-timeout", "30"])
        .args(["--no-color", "--output-truncate", "false"])
        .arg("--report-dir")
        .arg(&report)
        .args(["--report", "junit"]);
    for (name, value) in placeholder_headers() {
        command.args(["-H", &format!("{name}: {value}")]);
    }
    let output = command
        .current_dir(root.join("tests/schemathesis"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", root.join("tests/schemathesis"))
        .env("INCIDENTD_BASE_URL", &base)
        .env("INCIDENTD_SIGNING_SECRET", TEST_SECRET)
        .env("INCIDENTD_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .env("INCIDENTD_SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET)
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    println!("schemathesis ran {:.0?}", started.elapsed());
    assert!(
        output.status.success(),
        "schemathesis found problems (exit {:?}); see above. Worker log:\n{}",
        output.status.code(),
        worker.log()
    );
    // A run that never got past authentication would pass every check vacuously (401 is an
    // acceptable answer to valid data): the signed requests must have reached the handlers.
    let client = worker.client("demo");
    let listed = client.get("/dashboard/incidents?limit=200").expect("list");
    let declared = listed.body["incidents"].as_array().map_or(0, Vec::len);
    assert!(
        declared > 1,
        "schemathesis declared no incident: its signatures never verified? {}",
        listed.body
    );
    println!("incidents the run declared (or reached): {declared}");
}

/// The credentials the run passes as placeholders (hooks.py's `PLACEHOLDER_HEADERS`).
fn placeholder_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("x-incidentd-client", "demo"),
        ("x-incidentd-user", "schemathesis"),
        ("x-incidentd-timestamp", "sign-me"),
        ("x-incidentd-nonce", "sign-me"),
        ("x-incidentd-signature", "sign-me"),
        ("Authorization", "Bearer sign-me"),
        ("X-Slack-Request-Timestamp", "sign-me"),
        ("X-Slack-Signature", "sign-me"),
    ]
}
