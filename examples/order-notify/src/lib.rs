//! An order-shipped notifier built on the sluice framework, as a guide to it
//! (`docs/framework.md` walks through this crate).
//!
//! When an order ships, [`workflow::order_notify`] looks the customer up in the order service
//! (one durable step), then fans an [`events::OrderShipped`] event out to two senders: an
//! email (through an email provider's HTTP API) and a webhook (the shop's own endpoint). Each
//! sender retries on its own lane, so an email outage never delays the webhook. Every base URL
//! is configuration:
//!
//! | var | used by |
//! | --- | --- |
//! | `ORDERS_API_URL` | the `customer.lookup` step |
//! | `EMAIL_API_URL` | the `email` sender (no var, no email lane) |
//! | `WEBHOOK_URL` | the `webhook` sender (no var, no webhook lane) |
//!
//! The webhook's retry policy is overridden outside its attribute, in [`policy`].

// The framework's public API is documented for users who never read its source.
#![deny(missing_docs)]

pub mod events;
pub mod policy;
pub mod senders;
pub mod workflow;

/// Keeps this crate, and so its registrations, in a binary that otherwise names nothing of it
/// (a manifest test, a Worker's entry point). Registrations are linker-collected statics: a
/// crate nothing refers to is left out of the link with them. Never inlined, or an inlined
/// copy would satisfy the reference without pulling this crate's code in.
#[inline(never)]
pub fn link() {}
