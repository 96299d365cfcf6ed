//! An effect that `requires_var` runs no step at all without it: no step, no replay cost.

use incidentd_adapters::webhook::URL_VAR;
use incidentd_testkit::pipeline::Pipeline;
use sluice::native::{RecordingServer, StepRecord};
use sluice::outbox::OutboxPolicy;

fn step_names(p: &Pipeline) -> Vec<String> {
    p.workflows
        .instance_ids()
        .iter()
        .filter_map(|id| p.workflows.step(id))
        .flat_map(|step| step.records())
        .filter_map(|r| match r {
            StepRecord::Attempt { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

#[test]
fn without_its_var_the_webhook_sender_runs_no_step() {
    let p = Pipeline::new();
    p.declare("cache misses");
    p.drain();
    let names = step_names(&p);
    assert!(
        names.contains(&"dashboard.incident_created:1".to_owned()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("webhook.")),
        "{names:?}"
    );
}

#[test]
fn with_its_var_the_webhook_sender_runs_its_step() {
    let receiver = RecordingServer::start(Vec::new());
    let p = Pipeline::with_config(OutboxPolicy::default(), &[(URL_VAR, &receiver.url)]);
    p.declare("cache misses");
    p.drain();
    assert_eq!(p.successful_steps("webhook.incident_created:1"), 1);
    assert_eq!(receiver.requests().len(), 1);
}
