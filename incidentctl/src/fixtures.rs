//! Test fixtures made by the real domain: an Incident Durable Object's logic over in-memory
//! SQLite, changed through the CLI's own request bodies as the server parses them. Replies are
//! built from what it returns exactly as `src/router.rs` wraps them.

use crate::requests::{self, ApiRequest};
use incidentd_adapters::dashboard::receiver::requests::command;
use incidentd_core::model::{AffectionStatus, Service};
use incidentd_core::object::Started;
use incidentd_core::{
    Applied, IncidentObject, IncidentState, IncidentView, Severity, Source, StartIncident, Status,
};
use sluice::native::SqliteStore;

pub const TENANT: &str = "demo";
pub const USER: &str = "demo-user";
pub const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub struct Incident {
    object: IncidentObject<SqliteStore>,
    clock: std::cell::Cell<i64>,
}

impl Incident {
    /// Declares `prompt` at low severity; the tenant knows the service `api`.
    pub fn declare(prompt: &str) -> (Incident, IncidentState) {
        let object = IncidentObject::open(SqliteStore::in_memory());
        let started = object
            .start(
                StartIncident {
                    id: ID.into(),
                    tenant_id: TENANT.into(),
                    prompt: prompt.into(),
                    title: None,
                    severity: Some(Severity::Low),
                    created_by: USER.into(),
                    source: Source::Dashboard,
                    entry_points: Vec::new(),
                    services: vec![Service {
                        id: "api".into(),
                        name: "API".into(),
                    }],
                },
                1_000,
            )
            .expect("starts");
        let Started::Created(state) = started else {
            panic!("a fresh object creates")
        };
        let clock = std::cell::Cell::new(1_000);
        (Incident { object, clock }, state)
    }

    /// Applies a change request as the server would: route and body through the receiver's
    /// parser, then the object.
    pub fn send(&self, request: &ApiRequest) -> Applied {
        let route = request
            .path
            .strip_prefix(&crate::paths::incident_path(ID, "/"))
            .expect("an incident route");
        let command = command(route, &request.body, USER).expect("the receiver accepts it");
        self.clock.set(self.clock.get() + 1_000);
        self.object
            .apply(TENANT, command, self.clock.get())
            .expect("the object applies it")
    }

    pub fn view(&self) -> IncidentView {
        self.object.get(TENANT).expect("readable")
    }
}

/// The incident of `tests/tests/cli_lifecycle.rs`: declared low, then severity high, a message,
/// mitigating, an affection created and moved to mitigating, resolved.
pub fn lifecycle() -> IncidentView {
    let (incident, _) = Incident::declare("Checkout is failing\nsince 10:02");
    for request in [
        requests::set_severity(ID, Severity::High),
        requests::add_message(ID, "Rolled back the 10:00 deploy", "cli-e2e-1"),
        requests::update_status(ID, Status::Mitigating, "error rate falling"),
        requests::create_affection(
            ID,
            "Degraded checkout",
            &[crate::args::parse_service("api").unwrap()],
            "We are looking into failed checkouts",
        ),
        requests::update_affection(
            ID,
            "A fix is rolling out",
            Some(AffectionStatus::Mitigating),
            &[],
        ),
        requests::update_status(ID, Status::Resolved, "all clear"),
    ] {
        incident.send(&request);
    }
    incident.view()
}
