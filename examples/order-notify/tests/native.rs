//! The workflow on the framework's native host: real HTTP to recording servers on 127.0.0.1,
//! retries on a virtual clock, crashes injected where the platform can crash.

use order_notify::events::{Shipment, WORKFLOW_CLASS};
use serde_json::{json, Value};
use sluice::native::{
    CrashPoint, NativeServices, NativeStep, RecordedRequest, RecordingServer, Scripted, StepRecord,
};
use sluice::registry;
use sluice::workflow::WorkflowRun;
use std::rc::Rc;

/// The order service, the email provider and the shop's webhook, each a recording server.
struct Services {
    orders: RecordingServer,
    email: RecordingServer,
    webhook: RecordingServer,
}

fn customer_answer() -> Scripted {
    Scripted::status(200).body(r#"{"name":"Ada","email":"ada@example.com"}"#)
}

impl Services {
    /// Answers 200 everywhere.
    fn up() -> Self {
        Self::with(Vec::new(), Vec::new())
    }

    /// The email and webhook servers answer their scripts in order, then 200.
    fn with(email: Vec<Scripted>, webhook: Vec<Scripted>) -> Self {
        Self {
            orders: RecordingServer::answering(|_| customer_answer()),
            email: RecordingServer::start(email),
            webhook: RecordingServer::start(webhook),
        }
    }

    fn native(&self) -> NativeServices {
        let mut services = NativeServices::default();
        for (var, server) in [
            ("ORDERS_API_URL", &self.orders),
            ("EMAIL_API_URL", &self.email),
            ("WEBHOOK_URL", &self.webhook),
        ] {
            services.vars.insert(var.into(), server.url.clone());
        }
        services
    }
}

fn shipment() -> Value {
    json!({ "order_id": "A-1001", "carrier": "Parcelforce", "tracking_number": "PF123" })
}

/// Runs the workflow to its end as the engine does (again from the top after each crash).
fn run(step: &Rc<NativeStep>, services: NativeServices, payload: Value) -> Value {
    order_notify::link();
    let def = registry::workflow(WORKFLOW_CLASS).expect("the workflow is registered");
    let run = WorkflowRun {
        class_name: def.class_name,
        instance_id: "order-A-1001".into(),
        payload,
        step: step.clone(),
        services: Rc::new(services),
    };
    step.run_to_completion(def, run).expect("the run ends")
}

fn header<'r>(request: &'r RecordedRequest, name: &str) -> &'r str {
    request.header(name).unwrap_or_default()
}

#[test]
fn tells_the_customer_and_the_shop_once_each() {
    let services = Services::up();
    let step = Rc::new(NativeStep::new());
    let output = run(&step, services.native(), shipment());

    assert_eq!(output["complete"], true);
    let lookups = services.orders.requests();
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].method, "GET");
    assert_eq!(lookups[0].path, "/orders/A-1001/customer");

    let emails = services.email.requests();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].path, "/messages");
    assert_eq!(emails[0].json()["to"], "ada@example.com");
    assert_eq!(
        emails[0].json()["subject"],
        "Your order A-1001 is on its way"
    );
    // The default key: stream, event and effect, the same on every retry and replay.
    assert_eq!(
        header(&emails[0], "idempotency-key"),
        "A-1001:1:email.order_shipped"
    );

    let hooks = services.webhook.requests();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].json(),
        json!({ "type": "order.shipped", "order_id": "A-1001", "carrier": "Parcelforce", "tracking_number": "PF123" })
    );
    assert_eq!(header(&hooks[0], "webhook-id"), "A-1001:1:shipped");
}

#[test]
fn an_email_outage_holds_only_the_email_lane() {
    // More 503s than the email sender's 4 retries.
    let outage = (0..10).map(|_| Scripted::status(503)).collect();
    let services = Services::with(outage, Vec::new());
    let step = Rc::new(NativeStep::new());
    let output = run(&step, services.native(), shipment());

    assert_eq!(services.email.requests().len(), 5, "1 attempt + 4 retries");
    assert_eq!(step.delivery_attempts("email.order_shipped:1").len(), 5);
    assert_eq!(services.webhook.requests().len(), 1);
    assert_eq!(output["complete"], false);
    let lanes = output["lanes"].as_array().expect("lanes");
    let email = lanes
        .iter()
        .find(|l| l["effect"] == "email")
        .expect("email lane");
    assert_eq!(email["held"]["event_id"], 1);
    let webhook = lanes
        .iter()
        .find(|l| l["effect"] == "webhook")
        .expect("webhook lane");
    assert_eq!(webhook["held"], Value::Null);
}

#[test]
fn the_webhook_retries_on_its_overridden_policy() {
    let down = (0..20).map(|_| Scripted::status(500)).collect();
    let services = Services::with(Vec::new(), down);
    let step = Rc::new(NativeStep::new());
    run(&step, services.native(), shipment());

    // The attribute says 3 retries; src/policy.rs says 8, at most 30 s apart.
    let attempts = step.delivery_attempts("webhook.order_shipped:1");
    assert_eq!(attempts.len(), 9);
    assert_eq!(services.webhook.requests().len(), 9);
    let longest_gap = attempts.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(
        longest_gap <= 30_000,
        "waited {longest_gap} ms between tries"
    );
    assert!(longest_gap > 2_000, "the delay grew: {attempts:?}");
    // Every try carried the same key, so the shop can drop repeats.
    let ids: Vec<String> = services
        .webhook
        .requests()
        .iter()
        .map(|r| header(r, "webhook-id").to_owned())
        .collect();
    assert!(ids.iter().all(|id| id == "A-1001:1:shipped"), "{ids:?}");
}

#[test]
fn a_crash_after_the_email_went_out_resends_it_with_the_same_key() {
    let services = Services::up();
    let step = Rc::new(NativeStep::new());
    // The email was sent, the isolate died before the step's result was recorded.
    step.crash_once_after_step("email.order_shipped:1");
    let output = run(&step, services.native(), shipment());

    assert_eq!(step.crashes(), 1);
    assert_eq!(output["complete"], true);
    let keys = services.email.requests_by_idempotency_key();
    assert_eq!(keys.len(), 1, "one key for both sends: {keys:?}");
    assert_eq!(keys["A-1001:1:email.order_shipped"].len(), 2);
    // The lookup was recorded before the crash: the replay read it back.
    assert_eq!(services.orders.requests().len(), 1);
    assert!(step.records().iter().any(
        |r| matches!(r, StepRecord::Replayed { name } if name.starts_with("customer.lookup"))
    ));
}

#[test]
fn a_crash_after_the_lookup_was_recorded_does_not_repeat_it() {
    let services = Services::up();
    let step = Rc::new(NativeStep::new());
    let mut crashed = false;
    step.crash_when(move |point, name, _| {
        let now =
            !crashed && point == CrashPoint::AfterRecord && name.starts_with("customer.lookup");
        crashed |= now;
        now
    });
    let output = run(&step, services.native(), shipment());

    assert_eq!(step.crashes(), 1);
    assert_eq!(output["complete"], true);
    assert_eq!(services.orders.requests().len(), 1);
    assert_eq!(services.email.requests().len(), 1);
    assert_eq!(services.webhook.requests().len(), 1);
}

#[test]
fn no_webhook_url_means_no_webhook_lane() {
    let services = Services::up();
    let mut native = services.native();
    native.vars.remove("WEBHOOK_URL");
    let step = Rc::new(NativeStep::new());
    let output = run(&step, native, shipment());

    assert_eq!(output["complete"], true);
    let effects: Vec<&str> = output["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .filter_map(|l| l["effect"].as_str())
        .collect();
    assert_eq!(effects, ["email"]);
    assert!(services.webhook.requests().is_empty());
}

#[test]
fn a_payload_of_the_wrong_shape_fails_the_run_before_any_call() {
    let services = Services::up();
    let step = Rc::new(NativeStep::new());
    order_notify::link();
    let def = registry::workflow(WORKFLOW_CLASS).expect("registered");
    let run = WorkflowRun {
        class_name: def.class_name,
        instance_id: "order-bad".into(),
        payload: json!({ "order_id": "A-1002" }),
        step: step.clone(),
        services: Rc::new(services.native()),
    };
    let error = step.run_to_completion(def, run).unwrap_err();
    assert!(error.0.contains("carrier"), "{error}");
    assert!(services.orders.requests().is_empty());
    // Keeps the type in use: the payload the shipping system sends.
    let _: Shipment = serde_json::from_value(shipment()).expect("a valid shipment");
}
