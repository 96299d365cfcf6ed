//! What the workflow receives and the event it fans out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::prelude::*;

/// The workflow class (the `class` of [`crate::workflow::order_notify`]).
pub const WORKFLOW_CLASS: &str = "OrderNotifyWorkflow";

/// The workflow's payload: the shipping system starts one run per shipped order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    pub order_id: String,
    pub carrier: String,
    pub tracking_number: String,
}

/// Who to tell, as the order service knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    pub name: String,
    pub email: String,
}

/// `ORDER_SHIPPED`: the event both senders handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderShipped {
    pub order_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub customer: Customer,
}

impl EventKind for OrderShipped {
    const EVENT_TYPE: &'static str = "ORDER_SHIPPED";
}

impl StreamEvent for OrderShipped {
    const WORKFLOW: &'static str = WORKFLOW_CLASS;
}
