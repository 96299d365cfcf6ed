//! What the AI workflows ask of a language model, and what they compute without one: prompt
//! templates rendered from the incident (`workflows/prompts/`) with the tenant's service
//! guidance (`guidance`), strict answer schemas and tools (checked by `strict`),
//! deterministic measures, the per-tenant token budget every call goes through (`budget`),
//! and triage at declaration (`triage`).

pub mod agent;
pub mod budget;
pub mod guidance;
pub mod metrics;
pub mod postmortem;
pub mod record;
pub mod strict;
pub mod suggestions;
pub mod template;
pub mod tool_schema;
pub mod tools;
pub mod triage;
