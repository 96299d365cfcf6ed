//! The example sender of docs/adding-a-sender.md is registered by its one file and delivers to
//! a recording server on 127.0.0.1: idempotency key header, 429 Retry-After honoured. This file
//! is also the pattern the doc shows for testing a sender.

use incidentd_adapters::webhook::URL_VAR;
use incidentd_core::testing::events::{self, test_event};
use sluice::native::{HandlerTest, RecordingServer, Scripted, StepRecord};

const WORKFLOW: &str = incidentd_core::INCIDENT_WORKFLOW;

#[test]
fn the_webhook_sender_delivers_once_per_key_honouring_retry_after() {
    incidentd_adapters::link();
    let server = RecordingServer::start(vec![Scripted::status(429).header("retry-after", "3")]);
    let test = HandlerTest::new(WORKFLOW).var(URL_VAR, format!("{}/hooks/incidents", server.url));

    test.run("webhook", &test_event(&events::incident_created()))
        .expect("delivered after the 429");

    let by_key = server.requests_by_idempotency_key();
    assert_eq!(by_key.len(), 1, "one key: one effect");
    let attempts = &by_key["inc-1:1:webhook"];
    assert_eq!(attempts.len(), 2, "429, then delivered");
    for request in attempts {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/hooks/incidents")
        );
        assert_eq!(request.json()["title"], "Checkout failing");
    }
    let times: Vec<u64> = test
        .step()
        .records()
        .into_iter()
        .filter_map(|r| match r {
            StepRecord::Attempt { at, .. } => Some(at),
            _ => None,
        })
        .collect();
    assert_eq!(
        times,
        [0, 3_000],
        "the retry waited Retry-After (3 s), not the policy's 5 s"
    );
}

#[test]
fn a_crash_after_the_post_repeats_it_with_the_same_key() {
    incidentd_adapters::link();
    let server = RecordingServer::start(Vec::new());
    let test = HandlerTest::new(WORKFLOW).var(URL_VAR, server.url.clone());
    // The isolate dies after the POST, before the step's result is kept: the engine runs the
    // step again; the receiver sees the same key twice and deduplicates.
    test.step()
        .crash_once_after_step("webhook.incident_created:1");
    let event = test_event(&events::incident_created());
    let crashed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.run("webhook", &event)));
    assert!(crashed.is_err(), "the injected crash ends the run");
    test.run("webhook", &event).expect("the rerun succeeds");
    let by_key = server.requests_by_idempotency_key();
    assert_eq!(by_key.keys().collect::<Vec<_>>(), ["inc-1:1:webhook"]);
    assert_eq!(by_key["inc-1:1:webhook"].len(), 2);
}

#[test]
fn without_a_url_the_webhook_sender_does_nothing() {
    incidentd_adapters::link();
    let test = HandlerTest::new(WORKFLOW);
    assert_eq!(
        test.run("webhook", &test_event(&events::incident_created())),
        Ok(())
    );
}

#[test]
fn the_testing_guide_shows_this_files_first_test_verbatim() {
    let guide = include_str!("../../docs/adding-a-sender.md");
    let this_file = include_str!("webhook.rs");
    let start = this_file.find("#[test]").expect("a test");
    let end = this_file[start..]
        .find("\n}\n")
        .map(|i| start + i + 3)
        .expect("the test's end");
    let first_test = &this_file[start..end];
    assert!(
        guide.contains(first_test),
        "docs/adding-a-sender.md must show the first test of adapters/tests/webhook.rs as it is:\n{first_test}"
    );
}
