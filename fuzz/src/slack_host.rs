//! One native pipeline per fuzz process with a connected workspace and one declared incident;
//! rebuilt every [`RESET_EVERY`] inputs so state (and memory) stays bounded.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_adapters::slack::config;
use incidentd_adapters::slack::inbound::tenant_access::ReceiveError;
use incidentd_adapters::slack::installation::{self, NewInstallation};
use incidentd_adapters::slack::token_crypto::TokenKey;
use incidentd_testkit::pipeline::{Pipeline, TENANT};
use incidentd_wire::secret::Secret;
use sluice::native::NativeServices;
use sluice::outbox::OutboxPolicy;
use sluice::workflow::Services;
use std::cell::RefCell;
use std::rc::Rc;

/// The connected workspace and its bot.
pub const TEAM: &str = "T0FUZZ";
pub const BOT: &str = "U0BOT";
pub const NOW_MS: i64 = 1_795_878_245_000;
/// Seeds write this where an incident id goes; it is replaced by the declared incident's id,
/// so the fuzzer reaches a real incident without knowing how ids are derived.
pub const INCIDENT_PLACEHOLDER: &str = "@INC@";
const RESET_EVERY: u32 = 500;
/// A closed loopback port: `views.open` inside an interaction fails at once (the receiver
/// reports the modal as not opened) instead of waiting on a server.
const SLACK_API_URL: &str = "http://127.0.0.1:9";

pub struct Host {
    pub pipeline: Pipeline,
    pub incident_id: String,
    runs: u32,
}

impl Host {
    fn new() -> Host {
        let key = BASE64.encode([7; 32]);
        let vars = [
            (config::API_URL_VAR, SLACK_API_URL),
            (config::TOKEN_KEY_VAR, key.as_str()),
        ];
        let pipeline = Pipeline::with_config(OutboxPolicy::default(), &vars);
        let workspace = NewInstallation {
            tenant_id: TENANT.into(),
            team_id: TEAM.into(),
            enterprise_id: None,
            app_id: None,
            bot_user_id: BOT.into(),
            scopes: String::new(),
            token: Secret::new("xoxb-fuzz"),
            settings: Default::default(),
        };
        let key = TokenKey::from_base64(&Secret::new(key)).expect("a valid key");
        pollster::block_on(installation::store(
            pipeline.db.as_ref(),
            &key,
            &workspace,
            0,
        ))
        .expect("installation stored");
        let incident_id = pipeline.declare("fuzzing: checkout is failing");
        Host {
            pipeline,
            incident_id,
            runs: 0,
        }
    }

    /// The body with [`INCIDENT_PLACEHOLDER`] replaced by the declared incident's id.
    pub fn substitute(&self, body: &[u8]) -> Vec<u8> {
        let placeholder = INCIDENT_PLACEHOLDER.as_bytes();
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body;
        while let Some(at) = rest
            .windows(placeholder.len())
            .position(|w| w == placeholder)
        {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(self.incident_id.as_bytes());
            rest = &rest[at + placeholder.len()..];
        }
        out.extend_from_slice(rest);
        out
    }
}

impl Drop for Host {
    /// The pipeline's workflow engines and its services hold each other (`Rc`): without
    /// breaking that cycle every remade host would leak its databases.
    fn drop(&mut self) {
        let none: Rc<dyn Services> = Rc::new(NativeServices::default());
        let p = &self.pipeline;
        for engine in [&p.workflows, &p.analysis, &p.prompts, &p.agent_turns] {
            engine.set_services(none.clone());
        }
    }
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// Runs `f` on the process's host (made on first use, remade every [`RESET_EVERY`] runs).
pub fn with_host<R>(f: impl FnOnce(&Host) -> R) -> R {
    HOST.with(|cell| {
        let mut slot = cell.borrow_mut();
        let stale = slot.as_ref().is_none_or(|h| h.runs >= RESET_EVERY);
        if stale {
            *slot = Some(Host::new());
        }
        let host = slot.as_mut().expect("made above");
        host.runs += 1;
        f(host)
    })
}

/// What a receiver may answer to any body: its outcome (a 200) or a bad payload (a 400).
/// Storage never fails here, so a `Transient` (a 500, which Slack retries) means the body
/// made the receiver fail where it should have refused.
pub fn expect_no_transient<T>(result: &Result<T, ReceiveError>) {
    if let Err(ReceiveError::Transient(e)) = result {
        panic!("a body made the receiver fail transiently (500): {e}");
    }
}
