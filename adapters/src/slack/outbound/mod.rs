//! What incidentd sends Slack: the Web API client and its contract, the Block Kit it renders,
//! the incident's channel, posting exactly once, and the sender with its effects (announce,
//! updates, broadcast, suggestions, thread replies, the analysis post).

pub mod analysis_post;
pub(crate) mod announce;
pub mod api;
pub mod blocks;
pub(crate) mod broadcast;
pub(crate) mod channel;
pub(crate) mod channel_claims;
pub mod channel_name;
pub mod contract;
pub mod metadata;
pub(crate) mod posting;
pub(crate) mod sender;
pub(crate) mod suggestions;
pub(crate) mod thread_reply;
pub(crate) mod updates;
pub(crate) mod workspace;
