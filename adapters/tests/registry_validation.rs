//! Mistakes no single macro expansion can see, caught by `registry::validate` (which the
//! manifest binary runs before `js-entry`, so `scripts/build` fails on them). This test binary
//! registers a second "dashboard" sender and a misspelt policy entry on purpose.

use incidentd_core::{IncidentCreated, IncidentEvent, IncidentSender};
use sluice::__private::{inventory, PolicyOverride};
use sluice::prelude::*;
use sluice::registry;

#[derive(Default)]
pub struct SecondDashboard;

#[sender(name = "dashboard")]
impl IncidentSender for SecondDashboard {
    async fn incident_created(
        &self,
        _: &SendContext,
        _: &IncidentEvent<IncidentCreated>,
    ) -> Result<(), EffectError> {
        Ok(())
    }
}

// As a `[policies."dashbord"]` entry of retry-policies.toml would register it.
inventory::submit! {
    PolicyOverride { name: "dashbord", limit: Some(1), delay_ms: None, backoff: None, max_delay_ms: None, timeout_ms: None }
}

fn errors() -> Vec<String> {
    incidentd_adapters::link();
    registry::validate().expect_err("two mistakes are registered")
}

#[test]
fn two_senders_with_one_name_are_rejected_naming_both() {
    let errors = errors();
    let duplicate: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("named \"dashboard\""))
        .collect();
    assert_eq!(duplicate.len(), 1, "{errors:#?}");
    assert!(
        duplicate[0].contains("the sender `incidentd_adapters::dashboard::sender::DashboardIndex`"),
        "{}",
        duplicate[0]
    );
    assert!(
        duplicate[0].contains("the sender `registry_validation::SecondDashboard`"),
        "{}",
        duplicate[0]
    );
}

#[test]
fn an_unknown_policy_name_is_rejected_with_the_closest_registered_name() {
    let errors = errors();
    let unknown: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("policies.\"dashbord\""))
        .collect();
    assert_eq!(unknown.len(), 1, "{errors:#?}");
    assert!(
        unknown[0].starts_with(&format!(
            "{}: policies.\"dashbord\" names no registered step, sender, dispatcher or handler; did you mean \"dashboard\"? allowed names: ",
            sluice::config::file_path()
        )),
        "{}",
        unknown[0]
    );
    assert!(
        unknown[0].contains("\"webhook.incident_created\""),
        "{}",
        unknown[0]
    );
}
