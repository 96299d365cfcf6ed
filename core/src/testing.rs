//! Fixtures for tests and benchmarks across the workspace: incidents and forwarded messages.

use crate::effects::IncidentCreated;
use crate::model::{IncidentMessage, IncidentState, Severity, Source, Status};
use std::collections::BTreeMap;

/// An incident of tenant `demo` as of `event_id`, titled `title`.
pub fn state(incident_id: &str, event_id: i64, status: Status, title: &str) -> IncidentState {
    IncidentState {
        id: incident_id.into(),
        tenant_id: "demo".into(),
        status,
        severity: Severity::High,
        title: title.into(),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
        entry_point_id: None,
        services: Vec::new(),
        affection: None,
        metadata: BTreeMap::new(),
        created_at: 1_000,
        updated_at: 1_000 * event_id,
        last_event_id: event_id,
    }
}

/// An `INCIDENT_CREATED` message carrying `state(..)` (the event type the fixtures' senders
/// all handle, so every registered sender sees it).
pub fn message(incident_id: &str, event_id: i64, status: Status, title: &str) -> IncidentMessage {
    let incident = state(incident_id, event_id, status, title);
    let data = IncidentCreated {
        status,
        severity: incident.severity,
        title: title.into(),
        description: "d".into(),
        prompt: "p".into(),
        created_by: "u".into(),
        source: Source::Dashboard,
        assignee: None,
    };
    IncidentMessage {
        incident_id: incident_id.into(),
        event_id,
        event_type: "INCIDENT_CREATED".into(),
        data: serde_json::to_value(data).expect("serialises"),
        at: 1_000 * event_id,
        incident,
        actor: None,
        // As the forwarder would mark the closing event with nothing queued behind it.
        last: status.is_terminal(),
    }
}

/// Incident objects in process, behind the runtime's object ports, so workflow steps reach
/// them through the same protocol and serialisation as on Cloudflare.
#[cfg(feature = "native")]
pub mod objects {
    use crate::object::IncidentObject;
    use incidentd_runtime::native::SqliteStore;
    use incidentd_runtime::object::{is_object_id, ObjectCallError, ObjectNamespace, ObjectStub};
    use incidentd_runtime::outbox::OutboxPolicy;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    use std::hash::{Hash, Hasher};
    use std::rc::Rc;

    /// The virtual clock the objects read (unix ms).
    pub type Clock = Rc<Cell<i64>>;

    pub struct LocalObject {
        pub object: IncidentObject<SqliteStore>,
        clock: Clock,
    }

    #[async_trait::async_trait(?Send)]
    impl ObjectStub for LocalObject {
        async fn call(&self, request: String) -> Result<String, ObjectCallError> {
            Ok(self.object.handle_encoded(&request, self.clock.get()))
        }
    }

    /// An `INCIDENT` namespace in process.
    #[derive(Default)]
    pub struct LocalIncidents {
        objects: RefCell<BTreeMap<String, Rc<LocalObject>>>,
        clock: Clock,
        policy: OutboxPolicy,
    }

    impl LocalIncidents {
        pub fn new(clock: Clock) -> Self {
            Self {
                objects: RefCell::default(),
                clock,
                policy: OutboxPolicy::default(),
            }
        }

        /// Objects created from now on forward with `policy`.
        pub fn with_policy(mut self, policy: OutboxPolicy) -> Self {
            self.policy = policy;
            self
        }

        /// The object with this id, created (empty) on first use, as the platform does.
        pub fn object(&self, id: &str) -> Rc<LocalObject> {
            self.objects
                .borrow_mut()
                .entry(id.to_owned())
                .or_insert_with(|| {
                    Rc::new(LocalObject {
                        object: IncidentObject::open(SqliteStore::in_memory())
                            .with_policy(self.policy),
                        clock: self.clock.clone(),
                    })
                })
                .clone()
        }
    }

    impl ObjectNamespace for LocalIncidents {
        fn id_from_name(&self, name: &str) -> Result<String, ObjectCallError> {
            // Deterministic, 64 hex digits: four seeded hashes of the name.
            let mut id = String::with_capacity(64);
            for seed in 0u8..4 {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                (seed, name).hash(&mut hasher);
                id.push_str(&format!("{:016x}", hasher.finish()));
            }
            Ok(id)
        }

        fn get(&self, id: &str) -> Result<Rc<dyn ObjectStub>, ObjectCallError> {
            if !is_object_id(id) {
                return Err(ObjectCallError::not_found(format!(
                    "not an object id: {id}"
                )));
            }
            Ok(self.object(id) as Rc<dyn ObjectStub>)
        }
    }
}
