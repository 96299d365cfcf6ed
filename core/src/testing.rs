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
        event_type: crate::model::event_type::INCIDENT_CREATED.into(),
        data: serde_json::to_value(data).expect("serialises"),
        at: 1_000 * event_id,
        incident,
        actor: None,
        // As the forwarder would mark the closing event with nothing queued behind it.
        last: status.is_terminal(),
        retry: None,
        replayed: Vec::new(),
    }
}

/// Incident objects in process, behind the runtime's object ports, so workflow steps reach
/// them through the same protocol and serialisation as on Cloudflare.
#[cfg(feature = "native")]
pub mod objects {
    use crate::object::IncidentObject;
    use sluice::native::SqliteStore;
    use sluice::object::{is_object_id, ObjectCallError, ObjectNamespace, ObjectStub};
    use sluice::outbox::OutboxPolicy;
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

/// Typed fixtures: one forwarded message per event kind, each carrying a state consistent
/// with its event, for sender tests (`HandlerTest::run(effect, &events::status_update(..))`).
pub mod events {
    use super::state;
    use crate::effects::{
        AffectionUpdated, AssigneeUpdated, IncidentCreated, MessageAdded, SeverityUpdated,
        StatusUpdated,
    };
    use crate::model::{
        AffectedService, Affection, AffectionStatus, Impact, IncidentMessage, IncidentState,
        Severity, Status,
    };
    use serde::Serialize;
    use sluice::EventKind;

    /// The incident every fixture belongs to.
    pub const INCIDENT_ID: &str = "inc-1";

    /// A message of kind `T` as the forwarder builds it.
    pub fn message<T: EventKind + Serialize>(
        event_id: i64,
        data: &T,
        incident: IncidentState,
    ) -> IncidentMessage {
        IncidentMessage {
            incident_id: incident.id.clone(),
            event_id,
            event_type: T::EVENT_TYPE.into(),
            data: serde_json::to_value(data).expect("fixtures serialise"),
            at: 1_000 * event_id,
            last: incident.status.is_terminal(),
            incident,
            actor: None,
            retry: None,
            replayed: Vec::new(),
        }
    }

    /// What `HandlerTest::run` takes.
    #[cfg(feature = "native")]
    pub fn test_event(message: &IncidentMessage) -> sluice::native::TestEvent {
        sluice::native::TestEvent {
            stream_id: message.incident_id.clone(),
            event_type: message.event_type.clone(),
            event_id: message.event_id,
            message: serde_json::to_value(message).expect("fixtures serialise"),
        }
    }

    fn incident(event_id: i64, status: Status) -> IncidentState {
        state(INCIDENT_ID, event_id, status, "Checkout failing")
    }

    pub fn incident_created() -> IncidentMessage {
        let incident = incident(1, Status::Open);
        let data = IncidentCreated::of(&incident);
        message(1, &data, incident)
    }

    pub fn status_update(status: Status) -> IncidentMessage {
        let data = StatusUpdated {
            status,
            message: "rolled back".into(),
        };
        message(2, &data, incident(2, status))
    }

    pub fn severity_update(severity: Severity) -> IncidentMessage {
        let mut incident = incident(2, Status::Open);
        incident.severity = severity;
        message(2, &SeverityUpdated { severity }, incident)
    }

    pub fn assignee_update(assignee: Option<&str>) -> IncidentMessage {
        let mut incident = incident(2, Status::Open);
        incident.assignee = assignee.map(str::to_owned);
        let data = AssigneeUpdated {
            assignee: incident.assignee.clone(),
        };
        message(2, &data, incident)
    }

    pub fn message_added(text: &str) -> IncidentMessage {
        let data = MessageAdded {
            message: text.into(),
            message_id: "m-1".into(),
            user_id: "u1".into(),
        };
        message(2, &data, incident(2, Status::Open))
    }

    pub fn affection_update() -> IncidentMessage {
        let services = vec![AffectedService {
            id: "checkout".into(),
            impact: Impact::Major,
        }];
        let mut incident = incident(2, Status::Open);
        incident.affection = Some(Affection {
            title: "Checkout degraded".into(),
            services: services.clone(),
            status: AffectionStatus::Investigating,
            updates: 1,
        });
        let data = AffectionUpdated {
            message: "We are investigating".into(),
            created_by: "u1".into(),
            status: Some(AffectionStatus::Investigating),
            title: Some("Checkout degraded".into()),
            services: Some(services),
        };
        message(2, &data, incident)
    }
}
