//! Test support: the whole pipeline in process, on the native host. Incident objects (the real
//! shell over SQLite, reached through the typed protocol), their alarms on a virtual clock,
//! the native Workflows engine running the registered `IncidentWorkflow`, and D1 with the
//! project's migrations applied. What runs is the production code; only the hosts are native.
//!
//! ```ignore
//! let pipeline = Pipeline::new();
//! let id = pipeline.declare("checkout is failing");
//! pipeline.apply(&id, Command::SetSeverity { severity: Severity::High });
//! pipeline.drain();
//! assert_eq!(pipeline.successful_steps("dashboard.severity_update:2"), 1);
//! ```

use incidentd_adapters::dashboard::{archive, INDEX_DATABASE};
use incidentd_core::object::{AgentTurns, AlarmReport, Archive, Started, TurnPacing};
use incidentd_core::testing::objects::{Clock, LocalIncidents};
use incidentd_core::{
    Actor, Applied, ArchivedIncident, Command, EntryPoint, Idempotency, IncidentHandle,
    IncidentServices, Service, Source, StartIncident, INCIDENT_OBJECT_BINDING,
};
use sluice::native::{NativeServices, NativeWorkflows, SqliteDatabase, StepRecord};
use sluice::object::ObjectNamespace;
use sluice::outbox::OutboxPolicy;
use sluice::sql::Database;
use sluice::workflow::{Services, WorkflowClient};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub use incidentd_adapters::migrations::ALL as MIGRATIONS;

/// The tenant every pipeline incident belongs to.
pub const TENANT: &str = "demo";

/// An in-memory D1 with the project's migrations applied.
pub fn database() -> Rc<SqliteDatabase> {
    let db = Rc::new(SqliteDatabase::in_memory());
    for (name, sql) in MIGRATIONS {
        db.apply(sql)
            .unwrap_or_else(|e| panic!("migration {name}: {e}"));
    }
    db
}

/// Deletes every row of `db`, keeping its schema: a migrated database reused by many runs
/// (migrating one costs milliseconds, which a campaign of thousands of scenarios feels).
pub fn empty(db: &SqliteDatabase) {
    let tables = pollster::block_on(db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        vec![],
    ))
    .expect("the schema lists its tables");
    let batch: String = tables
        .iter()
        .filter_map(|t| t.get("name").and_then(|n| n.as_str()))
        .map(|name| format!("DELETE FROM \"{name}\";"))
        .collect();
    db.apply(&batch).expect("the tables empty");
}

struct D1Archive(Rc<SqliteDatabase>, Clock);

#[async_trait::async_trait(?Send)]
impl Archive for D1Archive {
    async fn archive(&self, record: &ArchivedIncident) -> Result<(), String> {
        archive::store(self.0.as_ref(), record, self.1.get())
            .await
            .map_err(|e| e.message)
    }
}

pub struct Pipeline {
    pub clock: Clock,
    pub incidents: Rc<LocalIncidents>,
    pub workflows: Rc<NativeWorkflows>,
    pub analysis: Rc<NativeWorkflows>,
    pub prompts: Rc<NativeWorkflows>,
    pub agent_turns: Rc<NativeWorkflows>,
    pub db: Rc<SqliteDatabase>,
    pub services: Rc<NativeServices>,
    archive: D1Archive,
    /// Incident ids declared, in order (their objects' alarms are driven by `drain`).
    ids: RefCell<Vec<String>>,
    declared: Cell<u32>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline {
    pub fn new() -> Self {
        Self::with_policy(OutboxPolicy::default())
    }

    /// A pipeline whose objects forward with `policy` (a small `max_attempts` reaches a
    /// dead letter quickly).
    pub fn with_policy(policy: OutboxPolicy) -> Self {
        Self::with_config(policy, &[])
    }

    /// A pipeline with Worker vars (a sender's URL pointing at a recording server, say).
    pub fn with_config(policy: OutboxPolicy, vars: &[(&str, &str)]) -> Self {
        Self::with_services(policy, vars, |_| {})
    }

    /// [`with_config`](Self::with_config), then `configure` adjusts the services before they
    /// are shared (an outbound timeout cap, say).
    pub fn with_services(
        policy: OutboxPolicy,
        vars: &[(&str, &str)],
        configure: impl FnOnce(&mut NativeServices),
    ) -> Self {
        Self::with_database(database(), policy, vars, configure)
    }

    /// [`with_services`](Self::with_services) on a D1 the caller migrated (and emptied, see
    /// [`empty`]).
    pub fn with_database(
        db: Rc<SqliteDatabase>,
        policy: OutboxPolicy,
        vars: &[(&str, &str)],
        configure: impl FnOnce(&mut NativeServices),
    ) -> Self {
        incidentd_workflows::link();
        let clock: Clock = Rc::new(Cell::new(1_000_000));
        let incidents = Rc::new(LocalIncidents::new(clock.clone()).with_policy(policy));
        // IncidentWorkflow's lanes sleep (backoff, hand-over) on the pipeline's clock, so time
        // passes for them and for the objects alike.
        let workflows = Rc::new(NativeWorkflows::with_clock(
            incidentd_workflows::incident::CLASS,
            clock.clone(),
        ));
        let analysis = Rc::new(NativeWorkflows::new(incidentd_workflows::analysis::CLASS));
        let prompts = Rc::new(NativeWorkflows::new(incidentd_workflows::prompt::CLASS));
        let agent_turns = Rc::new(NativeWorkflows::new(incidentd_workflows::agent_turn::CLASS));
        let mut services = NativeServices::default();
        for (name, value) in vars {
            services
                .vars
                .insert((*name).to_owned(), (*value).to_owned());
        }
        services
            .databases
            .insert(INDEX_DATABASE.into(), db.clone() as Rc<dyn Database>);
        services.objects.insert(
            INCIDENT_OBJECT_BINDING.into(),
            incidents.clone() as Rc<dyn ObjectNamespace>,
        );
        let binding = |class: &str| {
            sluice::registry::binding(class)
                .expect("the workflow is registered")
                .to_owned()
        };
        services.workflows.insert(
            binding(incidentd_workflows::incident::CLASS),
            workflows.clone() as Rc<dyn WorkflowClient>,
        );
        services.workflows.insert(
            binding(incidentd_workflows::analysis::CLASS),
            analysis.clone() as Rc<dyn WorkflowClient>,
        );
        services.workflows.insert(
            binding(incidentd_workflows::prompt::CLASS),
            prompts.clone() as Rc<dyn WorkflowClient>,
        );
        services.workflows.insert(
            binding(incidentd_workflows::agent_turn::CLASS),
            agent_turns.clone() as Rc<dyn WorkflowClient>,
        );
        configure(&mut services);
        let services = Rc::new(services);
        workflows.set_services(services.clone() as Rc<dyn Services>);
        analysis.set_services(services.clone() as Rc<dyn Services>);
        prompts.set_services(services.clone() as Rc<dyn Services>);
        agent_turns.set_services(services.clone() as Rc<dyn Services>);
        Self {
            archive: D1Archive(db.clone(), clock.clone()),
            clock,
            incidents,
            workflows,
            analysis,
            prompts,
            agent_turns,
            db,
            services,
            ids: RefCell::default(),
            declared: Cell::new(0),
        }
    }

    /// The ids of the incidents declared so far, in order.
    pub fn ids(&self) -> Vec<String> {
        self.ids.borrow().clone()
    }

    /// Every engine of the pipeline, for faults that apply to all of them.
    pub fn engines(&self) -> [&Rc<NativeWorkflows>; 4] {
        [
            &self.workflows,
            &self.analysis,
            &self.prompts,
            &self.agent_turns,
        ]
    }

    /// The typed handle to an incident, as a workflow step gets it.
    pub fn handle(&self, id: &str) -> IncidentHandle {
        self.services
            .incident(id, TENANT)
            .expect("a local incident id")
    }

    /// Declares an incident of [`TENANT`] through the protocol; returns its id.
    pub fn declare(&self, prompt: &str) -> String {
        self.declare_full(prompt, Vec::new(), Vec::new())
    }

    /// Adds a service to the [`TENANT`]'s catalog in D1, with the guidance the admin API's
    /// `prompt` sets; returns it as a declaration's catalog lists it.
    pub fn catalog_service(&self, id: &str, name: &str, prompt: Option<&str>) -> Service {
        pollster::block_on(self.db.execute(
            "INSERT INTO service (tenant_id, id, name, prompt) VALUES (?1, ?2, ?3, ?4)",
            vec![TENANT.into(), id.into(), name.into(), prompt.into()],
        ))
        .expect("the service is stored");
        Service {
            id: id.into(),
            name: name.into(),
        }
    }

    /// [`declare`](Self::declare) with a service catalog (what a status-page incident names).
    pub fn declare_with_services(&self, prompt: &str, services: Vec<Service>) -> String {
        self.declare_full(prompt, Vec::new(), services)
    }

    /// [`declare`](Self::declare) with the tenant's entry points, as the router passes them
    /// (the fallback is paged at declaration).
    pub fn declare_with(&self, prompt: &str, entry_points: Vec<EntryPoint>) -> String {
        self.declare_full(prompt, entry_points, Vec::new())
    }

    /// [`declare`](Self::declare) with the tenant's entry points and service catalog.
    pub fn declare_full(
        &self,
        prompt: &str,
        entry_points: Vec<EntryPoint>,
        services: Vec<Service>,
    ) -> String {
        self.declared.set(self.declared.get() + 1);
        let id = self
            .incidents
            .id_from_name(&format!("incident-{}", self.declared.get()))
            .expect("local ids");
        let input = StartIncident {
            id: id.clone(),
            tenant_id: TENANT.into(),
            prompt: prompt.into(),
            title: None,
            severity: None,
            created_by: "u1".into(),
            source: Source::Dashboard,
            entry_points,
            services,
        };
        let started = pollster::block_on(self.handle(&id).start(input)).expect("declared");
        assert!(matches!(started, Started::Created(_)));
        self.ids.borrow_mut().push(id.clone());
        id
    }

    /// Applies a change as incidentd itself (no replay protection), through the protocol.
    pub fn apply(&self, id: &str, command: Command) -> Applied {
        pollster::block_on(
            self.handle(id)
                .apply(Actor::system(), command, Idempotency::None),
        )
        .expect("applied")
    }

    /// Runs the alarm of one incident now (agent turns included when a model is configured).
    pub fn alarm(&self, id: &str) -> AlarmReport {
        let local = self.incidents.object(id);
        local.object.store().take_alarm();
        let turns = TurnPacing::from_services(self.services.as_ref()).map(|pacing| AgentTurns {
            workflows: self.agent_turns.as_ref(),
            pacing,
        });
        pollster::block_on(local.object.on_alarm_with_turns(
            self.workflows.as_ref(),
            self.analysis.as_ref(),
            &self.archive,
            turns.as_ref(),
            self.clock.get(),
        ))
        .expect("alarm pass")
    }

    /// Runs due alarms and the engines, advancing the virtual clock to the next alarm or the
    /// next end of a workflow's sleep when nothing else is due, until nothing is left to do.
    pub fn drain(&self) {
        const MAX_ROUNDS: usize = 10_000;
        for _ in 0..MAX_ROUNDS {
            let mut progressed = false;
            let mut next_alarm: Option<i64> = None;
            for id in self.ids.borrow().iter() {
                let Some(at) = self.incidents.object(id).object.store().alarm() else {
                    continue;
                };
                if at <= self.clock.get() {
                    self.alarm(id);
                    progressed = true;
                } else {
                    next_alarm = Some(next_alarm.map_or(at, |n| n.min(at)));
                }
            }
            progressed |= self.workflows.run_pending() > 0;
            progressed |= self.analysis.run_pending() > 0;
            progressed |= self.prompts.run_pending() > 0;
            progressed |= self.agent_turns.run_pending() > 0;
            if !progressed {
                let next = next_alarm
                    .into_iter()
                    .chain(self.workflows.next_wake())
                    .min();
                match next {
                    Some(at) => self.clock.set(at.max(self.clock.get())),
                    None => return,
                }
            }
        }
        panic!("the pipeline did not settle in {MAX_ROUNDS} rounds");
    }

    /// Successful attempts of steps named `name`, across every `IncidentWorkflow` instance:
    /// how often an effect really happened.
    pub fn successful_steps(&self, name: &str) -> usize {
        self.workflows
            .instance_ids()
            .iter()
            .filter_map(|id| self.workflows.step(id))
            .flat_map(|step| step.records())
            .filter(|r| matches!(r, StepRecord::Attempt { name: n, error: None, .. } if n == name))
            .count()
    }
}

/// The engines and the services hold each other (`set_services`): break the cycle, or every
/// dropped pipeline leaks (the fault campaign drops ten thousand).
impl Drop for Pipeline {
    fn drop(&mut self) {
        for engine in self.engines() {
            engine.detach_services();
        }
    }
}
