//! One sender at a time, as the fan-out runs it (its step name, its effective policy), with
//! `HandlerTest`: no workflow, no lookup.

use order_notify::events::{Customer, OrderShipped, WORKFLOW_CLASS};
use serde_json::json;
use sluice::native::{HandlerTest, RecordingServer, Scripted, TestEvent};
use sluice::prelude::*;
use sluice::StepError;

fn shipped() -> TestEvent {
    order_notify::link();
    let data = OrderShipped {
        order_id: "B-7".into(),
        carrier: "DHL".into(),
        tracking_number: "JD0001".into(),
        customer: Customer {
            name: "Grace".into(),
            email: "grace@example.com".into(),
        },
    };
    let message = EventMessage::new("B-7", 3, &data).expect("serialises");
    TestEvent {
        stream_id: message.stream_id.clone(),
        event_type: message.event_type.clone(),
        event_id: message.event_id,
        message: serde_json::to_value(message).expect("serialises"),
    }
}

#[test]
fn the_email_sender_retries_a_rate_limit_then_sends() {
    let provider = RecordingServer::start(vec![Scripted::status(429).header("retry-after", "7")]);
    let test = HandlerTest::new(WORKFLOW_CLASS).var("EMAIL_API_URL", &provider.url);

    test.run("email", &shipped())
        .expect("delivered on the second try");

    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].json()["to"], "grace@example.com");
    assert_eq!(
        requests[1].header("idempotency-key"),
        Some("B-7:3:email.order_shipped")
    );
    assert!(test.step().now() >= 7_000, "Retry-After honoured");
}

#[test]
fn a_refused_email_is_not_retried() {
    let provider = RecordingServer::start(vec![Scripted::status(422)]);
    let test = HandlerTest::new(WORKFLOW_CLASS).var("EMAIL_API_URL", &provider.url);

    let error = test.run("email", &shipped()).unwrap_err();

    assert!(matches!(error, StepError::Failed(_)), "{error:?}");
    assert_eq!(provider.requests().len(), 1);
}

#[test]
fn a_message_that_is_not_an_order_event_is_refused_for_good() {
    let shop = RecordingServer::start(Vec::new());
    let test = HandlerTest::new(WORKFLOW_CLASS).var("WEBHOOK_URL", &shop.url);
    let mut event = shipped();
    event.message = json!({ "stream_id": "B-7", "event_id": 3, "event_type": "ORDER_SHIPPED", "data": { "order_id": "B-7" } });

    let error = test.run("webhook", &event).unwrap_err();

    assert!(
        format!("{error:?}").contains("ORDER_SHIPPED data"),
        "{error:?}"
    );
    assert!(shop.requests().is_empty());
}
