//! What the AI workflows ask of a language model, and what they compute without one: prompt
//! templates rendered from the incident (`workflows/prompts/`), strict answer schemas, and
//! deterministic measures.

pub mod agent;
pub mod metrics;
pub mod postmortem;
pub mod record;
pub mod suggestions;
pub mod template;
pub mod tools;
