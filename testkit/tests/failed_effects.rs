//! An effect that runs out of retries is not only logged: the instance reports it, the
//! Incident object lists it beside the dead letters, a retry runs that effect alone again
//! (under a new step name, with the event's idempotency key), and a closed incident is not
//! finalised while one is listed. On the native host, with the example webhook sender against
//! a recording server on 127.0.0.1 that fails while told to.

use incidentd_adapters::webhook::URL_VAR;
use incidentd_core::{Command, Status};
use incidentd_testkit::pipeline::Pipeline;
use sluice::native::{RecordingServer, Scripted};
use sluice::outbox::OutboxPolicy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A webhook receiver answering 500 while `failing` is set, then 200.
fn receiver(failing: Arc<AtomicBool>) -> RecordingServer {
    RecordingServer::answering(move |_| match failing.load(Ordering::SeqCst) {
        true => Scripted::status(500),
        false => Scripted::status(200),
    })
}

fn failed(p: &Pipeline, id: &str) -> Vec<incidentd_core::object::FailedEffect> {
    pollster::block_on(p.handle(id).failed_effects()).expect("listed")
}

fn close(p: &Pipeline, id: &str) {
    p.apply(
        id,
        Command::UpdateStatus {
            status: Status::Resolved,
            message: "fixed".into(),
        },
    );
}

#[test]
fn an_effect_out_of_retries_is_listed_and_a_retry_runs_it_alone() {
    let failing = Arc::new(AtomicBool::new(true));
    let server = receiver(failing.clone());
    let p = Pipeline::with_config(OutboxPolicy::default(), &[(URL_VAR, &server.url)]);
    let id = p.declare("cache misses"); // event 1
    p.drain();

    let listed = failed(&p, &id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert_eq!(
        (entry.event_id, entry.effect.as_str(), entry.step.as_str()),
        (1, "webhook", "webhook.incident_created:1")
    );
    assert!(entry.error.contains("500"), "{}", entry.error);
    assert_eq!((entry.retries, entry.retry_pending), (0, false));
    let attempts = server.requests().len();
    assert!(attempts > 1, "the step's own retries ran first");
    assert_eq!(
        p.successful_steps("dashboard.incident_created:1"),
        1,
        "other effects are not affected"
    );

    failing.store(false, Ordering::SeqCst);
    let round = pollster::block_on(p.handle(&id).retry_effect(1, "webhook")).expect("queued");
    assert_eq!(round, 1);
    assert!(failed(&p, &id)[0].retry_pending);
    p.drain();

    assert!(failed(&p, &id).is_empty(), "cleared by the retry's success");
    assert_eq!(p.successful_steps("webhook.incident_created:1#retry-1"), 1);
    assert_eq!(
        p.successful_steps("dashboard.incident_created:1"),
        1,
        "only the named effect ran again"
    );
    let requests = server.requests();
    assert!(requests.len() > attempts, "the retry reached the receiver");
    let keys: Vec<_> = requests
        .iter()
        .map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "one idempotency key for every attempt and the retry: {keys:?}"
    );
    assert!(
        pollster::block_on(p.handle(&id).retry_effect(1, "webhook")).is_err(),
        "nothing left to retry"
    );
}

#[test]
fn a_retry_that_fails_again_stays_listed_with_its_new_error() {
    let failing = Arc::new(AtomicBool::new(true));
    let server = receiver(failing);
    let p = Pipeline::with_config(OutboxPolicy::default(), &[(URL_VAR, &server.url)]);
    let id = p.declare("cache misses");
    p.drain();
    pollster::block_on(p.handle(&id).retry_effect(1, "webhook")).expect("queued");
    p.drain();
    let listed = failed(&p, &id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].retries, listed[0].retry_pending), (1, false));
    assert_eq!(listed[0].step, "webhook.incident_created:1#retry-1");
}

#[test]
fn a_failed_effect_keeps_a_closed_incident_until_its_retry_succeeds() {
    let failing = Arc::new(AtomicBool::new(true));
    let server = receiver(failing.clone());
    let p = Pipeline::with_config(OutboxPolicy::default(), &[(URL_VAR, &server.url)]);
    let id = p.declare("cache misses");
    p.drain();
    failing.store(false, Ordering::SeqCst);
    close(&p, &id);
    p.drain();
    assert!(
        p.incidents.object(&id).object.state().unwrap().is_some(),
        "not archived while an effect is listed failed"
    );
    assert_eq!(failed(&p, &id).len(), 1);

    pollster::block_on(p.handle(&id).retry_effect(1, "webhook")).expect("queued");
    p.drain();
    assert_eq!(p.successful_steps("webhook.incident_created:1#retry-1"), 1);
    assert!(
        p.incidents.object(&id).object.state().unwrap().is_none(),
        "archived once the retry succeeded"
    );
    assert_eq!(p.analysis.instance_ids(), [format!("analysis-{id}")]);
}
