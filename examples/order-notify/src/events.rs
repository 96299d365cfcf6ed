//! What the workflow receives and the event it fans out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::prelude::*;

/// The workflow class (the `class` of [`crate::workflow::order_notify`]).
pub const WORKFLOW_CLASS: &str = "OrderNotifyWorkflow";

/// The workflow's payload: the shipping system starts one run per shipped order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    /// The shop's order id; also the stream id of the events the run fans out.
    pub order_id: String,
    /// Who carries the parcel (`"Parcelforce"`).
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
}

/// Who to tell, as the order service knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    /// How the customer is greeted.
    pub name: String,
    /// Where the email goes.
    pub email: String,
}

/// `ORDER_SHIPPED`: the event both senders handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderShipped {
    /// The order that shipped.
    pub order_id: String,
    /// Who carries it.
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
    /// Who ordered it, as the `customer.lookup` step found them.
    pub customer: Customer,
}

impl EventKind for OrderShipped {
    const EVENT_TYPE: &'static str = "ORDER_SHIPPED";
}

impl StreamEvent for OrderShipped {
    const WORKFLOW: &'static str = WORKFLOW_CLASS;
}
