//! The registry as linked into the worker: what the manifest binary checks before generating
//! anything, and the wire names the handlers are registered under.

use sluice::registry;

#[test]
fn the_registry_validates() {
    incidentd_workflows::link();
    assert_eq!(registry::validate(), Ok(()));
}

/// Handler event types come from parameter types now; they must equal what the method names
/// implied before (`incident_created` → `INCIDENT_CREATED`), or stored events would stop
/// reaching their handlers.
#[test]
fn every_handler_is_registered_under_the_event_type_its_method_used_to_imply() {
    incidentd_workflows::link();
    let effects = registry::all_effects();
    assert!(effects.iter().any(|e| e.name == "dashboard"));
    for effect in effects {
        for handler in effect.handlers {
            assert_eq!(
                handler.event,
                handler.method.to_ascii_uppercase(),
                "{}.{}",
                effect.name,
                handler.method
            );
        }
    }
}
