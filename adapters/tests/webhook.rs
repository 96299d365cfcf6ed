//! The example sender of docs/adding-a-sender.md is registered by its one file and delivers to
//! a recording server on 127.0.0.1: idempotency key header, 429 Retry-After honoured.

use incidentd_core::model::Status;
use incidentd_core::IncidentMessage;
use incidentd_runtime::native::{
    NativeServices, NativeStep, RecordingServer, Scripted, StepRecord,
};
use incidentd_runtime::registry::{self, SenderCall};
use incidentd_runtime::step::Step;
use std::rc::Rc;

fn message() -> IncidentMessage {
    incidentd_core::testing::message("inc-9", 1, Status::Open, "Checkout failing")
}

#[test]
fn the_webhook_sender_is_registered_and_delivers_once_per_key_honouring_retry_after() {
    incidentd_adapters::link();
    let effect = registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "webhook")
        .expect("registered by its file");
    let handler = effect
        .handlers
        .iter()
        .find(|h| h.event == "INCIDENT_CREATED")
        .expect("handles INCIDENT_CREATED");
    assert_eq!(handler.idempotency_key, "{incident_id}:{event_id}:webhook");

    let server = RecordingServer::start(vec![Scripted::status(429).header("retry-after", "3")]);
    let mut services = NativeServices::default();
    services.vars.insert(
        "WEBHOOK_URL".into(),
        format!("{}/hooks/incidents", server.url),
    );
    let call = SenderCall {
        event_id: 1,
        instance_id: "incident-inc-9".into(),
        message: Rc::new(serde_json::to_value(message()).unwrap()),
        services: Rc::new(services),
    };
    let engine = NativeStep::new();
    let step: &dyn Step = &engine;
    let config = handler.effective_config(effect);
    let run = handler.run;
    pollster::block_on(
        step.run::<(), _, _>("webhook.incident_created:1", &config, move || {
            run(call.clone())
        }),
    )
    .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "429, then delivered");
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/hooks/incidents")
        );
        assert_eq!(request.header("idempotency-key"), Some("inc-9:1:webhook"));
        assert_eq!(request.json()["title"], "Checkout failing");
    }
    let times: Vec<u64> = engine
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
fn without_a_url_the_webhook_sender_does_nothing() {
    incidentd_adapters::link();
    let effect = registry::effects("IncidentWorkflow")
        .into_iter()
        .find(|e| e.name == "webhook")
        .unwrap();
    let call = SenderCall {
        event_id: 1,
        instance_id: "incident-inc-9".into(),
        message: Rc::new(serde_json::to_value(message()).unwrap()),
        services: Rc::new(NativeServices::default()),
    };
    assert_eq!(pollster::block_on((effect.handlers[0].run)(call)), Ok(()));
}
