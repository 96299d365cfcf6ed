//! What Slack and the operator send: each request's signature checked, its body parsed, its
//! meaning decided, then acted on through the tenant's incidents.

pub mod admin;
pub mod classify;
pub mod command_receiver;
pub mod commands;
pub mod event_receiver;
pub mod events;
pub mod interaction_receiver;
pub mod interactions;
pub mod oauth;
pub mod payload;
pub mod suggestion_actions;
pub mod tenant_access;
