//! What the AI workflows ask of a language model, and what they compute without one: prompt
//! templates rendered from the incident (`workflows/prompts/`), strict answer schemas,
//! deterministic measures, the per-tenant token budget every call goes through (`budget`),
//! and triage at declaration (`triage`).

pub mod agent;
pub mod budget;
pub mod metrics;
pub mod postmortem;
pub mod record;
pub mod suggestions;
pub mod template;
pub mod tools;
pub mod triage;
