//! The seeded fault campaign: N scenarios over the whole pipeline in process (the native
//! host of [`crate::pipeline`]), each a random incident lifecycle under random faults, each
//! followed by the delivery invariants. A seed fully determines its scenario, so a failing
//! one is replayed with one command ([`runner::reproduction`]).
//!
//! - [`scenario`]: the lifecycle and integrations a seed gives;
//! - [`faults`]: the fault plan and its injection (forwarder, crashes, Slack, webhook, LLM);
//! - [`model`]: the fake language model's valid answers, per schema and per tool;
//! - [`world`]: the pipeline and fakes one scenario runs in;
//! - [`ledger`]: what was sent and what the object answered;
//! - [`invariants`]: what must hold once the scenario settled;
//! - [`isolation`]: one integration in trouble delays only its own lane (twin runs);
//! - [`runner`]: playing, settling, checking, and the summary over many seeds.
//!
//! `cargo run --release -p incidentd-testkit --bin incidentd-campaign`

pub mod faults;
pub mod invariants;
pub mod isolation;
pub mod ledger;
pub mod model;
pub mod runner;
pub mod scenario;
pub mod world;

pub use runner::{reproduction, run_many, run_scenario, Outcome, Summary};
