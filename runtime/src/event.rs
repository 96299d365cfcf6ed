//! Events and their envelope.
//!
//! Each event payload type states its wire name once ([`EventKind`]) and the workflow that fans
//! it out ([`StreamEvent`]); everything that names an event type (the handlers a `#[sender]`
//! registers, the application's constants) derives it from the type.
//!
//! On the wire every event travels in one generic [`EventMessage`]: the stream it belongs to,
//! its position in that stream, its type and its data. A handler takes the typed
//! [`Envelope<T>`], decoded from that message by the framework.
//!
//! ```
//! use sluice::prelude::*;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct ParcelScanned { depot: String }
//!
//! impl EventKind for ParcelScanned {
//!     const EVENT_TYPE: &'static str = "PARCEL_SCANNED";
//! }
//! impl StreamEvent for ParcelScanned {
//!     const WORKFLOW: &'static str = "ParcelWorkflow";
//! }
//!
//! let message = EventMessage::new("parcel-7", 1, &ParcelScanned { depot: "Leeds".into() })?;
//! assert_eq!(message.event_type, "PARCEL_SCANNED");
//! assert_eq!(message.data["depot"], "Leeds");
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::error::EffectError;
use crate::registry::{FromSenderCall, SenderCall};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ops::Deref;

/// An event payload type and the event type it travels as (`"ORDER_SHIPPED"`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event kind",
    label = "not an event payload type",
    note = "an event payload states its wire name: `impl EventKind for {Self} {{ const EVENT_TYPE: &'static str = \"...\"; }}`"
)]
pub trait EventKind {
    /// The event type as stored and forwarded; never change it once events exist.
    const EVENT_TYPE: &'static str;
}

/// An event kind that handlers receive as an [`Envelope`]: it names the workflow class whose
/// fan-out delivers it, so `#[sender]` registers its handler there.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name the workflow that fans it out",
    note = "`impl StreamEvent for {Self} {{ const WORKFLOW: &'static str = \"<workflow class>\"; }}`"
)]
pub trait StreamEvent: EventKind + DeserializeOwned {
    /// The `class` of the `#[workflow(..)]` that dispatches this event.
    const WORKFLOW: &'static str;
}

/// One event on the wire: the message fan-out carries and handlers decode.
///
/// Build one with [`EventMessage::new`] (or push events on an
/// [`EventStream`](crate::fanout::EventStream), which numbers them); handlers never see it,
/// they take an [`Envelope`].
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use sluice::prelude::*;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct OrderShipped { order_id: String, carrier: String }
/// impl EventKind for OrderShipped { const EVENT_TYPE: &'static str = "ORDER_SHIPPED"; }
///
/// let shipped = OrderShipped { order_id: "A-1001".into(), carrier: "Parcelforce".into() };
/// let message = EventMessage::new("A-1001", 1, &shipped)?;
/// assert_eq!(
///     serde_json::to_value(&message)?,
///     json!({
///         "stream_id": "A-1001",
///         "event_id": 1,
///         "event_type": "ORDER_SHIPPED",
///         "data": { "order_id": "A-1001", "carrier": "Parcelforce" },
///     })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventMessage {
    /// The stream of events this one belongs to (an order, an account, a device): the same
    /// in every workflow instance that carries it. Default idempotency keys start with it.
    pub stream_id: String,
    /// The event's position in its stream, from 1 and increasing: lanes deliver each
    /// effect's events in this order, and idempotency keys and step names include it.
    pub event_id: i64,
    /// [`EventKind::EVENT_TYPE`] of the data.
    pub event_type: String,
    /// The event's data, as its [`EventKind`] type serialises.
    pub data: Value,
}

impl EventMessage {
    /// The message of `data`, event number `event_id` of `stream_id`.
    pub fn new<T: EventKind + Serialize>(
        stream_id: impl Into<String>,
        event_id: i64,
        data: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            stream_id: stream_id.into(),
            event_id,
            event_type: T::EVENT_TYPE.to_owned(),
            data: serde_json::to_value(data)?,
        })
    }
}

/// A delivered event as a handler takes it: where it sits in its stream, and its typed data
/// (reachable directly: `event.tracking_number` derefs to the data).
///
/// A `#[sender]` handler written as `event: &Envelope<OrderShipped>` handles
/// `OrderShipped::EVENT_TYPE` for the workflow `OrderShipped::WORKFLOW`. A message that does
/// not decode as `T` fails the delivery for good (retrying cannot make it decode).
///
/// # Examples
///
/// ```
/// use sluice::prelude::*;
///
/// struct OrderShipped { order_id: String, carrier: String }
///
/// // What a handler does with its event: read the data through the envelope.
/// fn subject(event: &Envelope<OrderShipped>) -> String {
///     format!("Order {} shipped with {} (event {})", event.order_id, event.carrier, event.event_id)
/// }
///
/// let event = Envelope {
///     stream_id: "A-1001".into(),
///     event_id: 2,
///     data: OrderShipped { order_id: "A-1001".into(), carrier: "Parcelforce".into() },
/// };
/// assert_eq!(subject(&event), "Order A-1001 shipped with Parcelforce (event 2)");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<T> {
    /// See [`EventMessage::stream_id`].
    pub stream_id: String,
    /// See [`EventMessage::event_id`].
    pub event_id: i64,
    /// The event's typed data, decoded from [`EventMessage::data`].
    pub data: T,
}

impl<T> Deref for Envelope<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: StreamEvent> FromSenderCall for Envelope<T> {
    const WORKFLOW: &'static str = T::WORKFLOW;
    const EVENT: &'static str = T::EVENT_TYPE;

    fn from_call(call: &SenderCall) -> Result<Self, EffectError> {
        let message = EventMessage::deserialize(&*call.message)
            .map_err(|e| EffectError::non_retryable(format!("not an event message: {e}")))?;
        if message.event_type != T::EVENT_TYPE {
            return Err(EffectError::non_retryable(format!(
                "a {} handler was given a {} event",
                T::EVENT_TYPE,
                message.event_type
            )));
        }
        let data = T::deserialize(message.data)
            .map_err(|e| EffectError::non_retryable(format!("{} data: {e}", T::EVENT_TYPE)))?;
        Ok(Self {
            stream_id: call.stream_id.clone(),
            event_id: call.event_id,
            data,
        })
    }
}
