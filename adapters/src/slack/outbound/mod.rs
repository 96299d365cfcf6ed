//! What incidentd sends Slack: the Web API client and its contract, the Block Kit it renders,
//! the incident's channel, posting exactly once, and the sender with its effects (announce,
//! updates, broadcast, suggestions, thread replies, the analysis post).

pub mod analysis_post;
pub mod announce;
pub mod api;
pub mod blocks;
pub mod broadcast;
pub mod channel;
pub mod channel_claims;
pub mod channel_name;
pub mod contract;
pub mod metadata;
pub mod posting;
pub mod sender;
pub mod suggestions;
pub mod thread_reply;
pub mod updates;
pub mod workspace;
