//! One incident through the whole pipeline on local workerd: the Durable Object commits and
//! acknowledges, its alarm creates the IncidentWorkflow instance, the dashboard sender writes
//! the D1 index, and the list shows it. An effect that fails for good is listed and retried
//! through the API. Plus the requests that must write nothing.

use incidentd_e2e::{poll, send_raw, LocalWorker, TEST_SECRET};
use incidentd_wire::signing::SignedRequest;
use serde_json::{json, Value};
use sluice::native::{RecordingServer, Scripted};
use std::time::Duration;

fn listed_ids(reply: &incidentctl::Reply) -> Vec<String> {
    reply.body["incidents"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_incident_travels_the_whole_pipeline() {
    // A webhook receiver on loopback: the webhook sender calls it from a workflow step.
    // It fails once, then answers with a reference the sender records on the incident.
    let receiver = RecordingServer::start(vec![
        Scripted::status(503),
        Scripted::status(201).body(r#"{"reference":"TICKET-42"}"#),
    ]);
    let hook = format!("{}/hook", receiver.url);
    let worker = LocalWorker::start_with_vars("pipeline", &[("WEBHOOK_URL", &hook)]);
    let client = worker.client("demo");

    // Every registered workflow and sender is present in the wasm build.
    let health: Value = ureq::get(&format!("{}/healthz", worker.base_url()))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(
        health["workflows"],
        json!([
            "IncidentAgentTurnWorkflow",
            "IncidentAnalysisWorkflow",
            "IncidentPromptWorkflow",
            "IncidentWorkflow"
        ])
    );
    assert_eq!(
        health["effects"],
        json!(["agent", "dashboard", "slack", "status_page", "webhook"])
    );

    let created = client
        .post(
            "/dashboard/incidents",
            &json!({ "prompt": "Checkout is failing\nsince 10:02" }),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["incident"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(id.len(), 64);
    assert_eq!(created.body["incident"]["title"], "Checkout is failing");
    assert_eq!(created.body["incident"]["status"], "open");

    // The DO holds state and timeline at once (the acknowledgement came after the commit).
    let shown = client.get(&format!("/dashboard/incidents/{id}")).unwrap();
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["timeline"][0]["event_type"], "INCIDENT_CREATED");

    // The index row appears (eventually consistent: bounded polling).
    let listed = poll(Duration::from_secs(20), || {
        let reply = client.get("/dashboard/incidents").unwrap();
        listed_ids(&reply).contains(&id).then_some(reply)
    });
    let listed = listed.unwrap_or_else(|| {
        panic!(
            "incident never reached the D1 index; log:\n{}",
            worker.log()
        )
    });
    let row = listed.body["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (row["status"].as_str(), row["severity"].as_str()),
        (Some("open"), Some("medium"))
    );

    // The outbox marked the event delivered, and the workflow instance exists.
    let shown = client.get(&format!("/dashboard/incidents/{id}")).unwrap();
    assert!(
        shown.body["timeline"][0]["published_at"].is_i64(),
        "{:?}",
        shown.body
    );
    let workflow = client
        .get(&format!("/dashboard/incidents/{id}/workflow"))
        .unwrap();
    assert_eq!(workflow.status, 200, "{:?}", workflow.body);
    assert_eq!(workflow.body["instance_id"], format!("incident-{id}"));
    let status = workflow.body["status"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        ["queued", "running", "waiting"].contains(&status.as_str()),
        "instance status {status}"
    );

    // The webhook got the event with its idempotency key; the 503 was retried with the same key.
    let deliveries = poll(Duration::from_secs(30), || {
        let requests = receiver.requests();
        (requests.len() >= 2).then_some(requests)
    })
    .unwrap_or_else(|| {
        panic!(
            "webhook not retried; requests {:?}; log:\n{}",
            receiver.requests(),
            worker.log()
        )
    });
    let key = format!("{id}:1:webhook");
    for request in &deliveries {
        assert_eq!(request.header("idempotency-key"), Some(key.as_str()));
        assert_eq!(request.json()["incident_id"], id.as_str());
    }

    // The sender wrote the reference back through the typed incident handle, from its
    // workflow step: metadata, no event.
    let recorded = poll(Duration::from_secs(20), || {
        let shown = client.get(&format!("/dashboard/incidents/{id}")).unwrap();
        (shown.body["incident"]["metadata"]["webhook_reference"] == "TICKET-42").then_some(shown)
    })
    .unwrap_or_else(|| panic!("the reference was not recorded; log:\n{}", worker.log()));
    // INCIDENT_CREATED, then triage's note (no model here): the bookkeeping added no event.
    let kinds: Vec<&Value> = recorded.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["event_type"])
        .collect();
    assert!(
        kinds == [&json!("INCIDENT_CREATED")]
            || kinds == [&json!("INCIDENT_CREATED"), &json!("TRIAGE_NOTE")],
        "{:?}",
        recorded.body
    );

    // Another tenant sees neither the incident nor it in its list.
    let other = worker.client("other-tenant");
    assert_eq!(
        other
            .get(&format!("/dashboard/incidents/{id}"))
            .unwrap()
            .status,
        404
    );
    assert!(listed_ids(&other.get("/dashboard/incidents").unwrap()).is_empty());
}

/// The webhook receiver refuses the event (400: not worth retrying, so the step fails at
/// once): the failure is listed by the API, a retry runs the webhook alone, and once it
/// succeeds nothing is listed any more.
#[test]
fn an_effect_that_fails_for_good_is_listed_and_can_be_retried() {
    let refusing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let answer = refusing.clone();
    let receiver = RecordingServer::answering(move |_| {
        match answer.load(std::sync::atomic::Ordering::SeqCst) {
            true => Scripted::status(400),
            false => Scripted::status(200),
        }
    });
    let hook = format!("{}/hook", receiver.url);
    let worker = LocalWorker::start_with_vars("failed-effects", &[("WEBHOOK_URL", &hook)]);
    let client = worker.client("demo");
    let id = incidentd_e2e::create_incident(&client, "Search is slow");
    let failed_path = format!("/dashboard/incidents/{id}/failed-effects");
    let listed = poll(Duration::from_secs(60), || {
        let reply = client.get(&failed_path).ok()?;
        let failed = reply.body["failed_effects"].as_array()?.clone();
        (!failed.is_empty()).then_some(failed)
    })
    .unwrap_or_else(|| panic!("no failed effect listed; log:\n{}", worker.log()));
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["effect"], "webhook");
    assert_eq!(listed[0]["event_id"], 1);
    assert_eq!(listed[0]["step"], "webhook.incident_created:1");
    assert!(
        listed[0]["error"].as_str().unwrap_or("").contains("400"),
        "{listed:?}"
    );

    // Unknown effects and events are 404; a body with fields is refused.
    let retry_path = |event: &str, effect: &str| {
        format!("/dashboard/incidents/{id}/failed-effects/{event}/{effect}/retry")
    };
    for (event, effect) in [("1", "slack"), ("9", "webhook"), ("x", "webhook")] {
        let reply = client.post(&retry_path(event, effect), &json!({})).unwrap();
        assert_eq!(reply.status, 404, "{event}/{effect}: {:?}", reply.body);
    }
    let extra = client
        .post(&retry_path("1", "webhook"), &json!({ "now": true }))
        .unwrap();
    assert_eq!(extra.status, 422, "{:?}", extra.body);

    refusing.store(false, std::sync::atomic::Ordering::SeqCst);
    let retried = client
        .post(&retry_path("1", "webhook"), &json!({}))
        .unwrap();
    assert_eq!(retried.status, 200, "{:?}", retried.body);
    assert_eq!(
        retried.body["retried"],
        json!({ "event_id": 1, "effect": "webhook", "round": 1 })
    );
    poll(Duration::from_secs(60), || {
        let reply = client.get(&failed_path).ok()?;
        reply.body["failed_effects"]
            .as_array()?
            .is_empty()
            .then_some(())
    })
    .unwrap_or_else(|| panic!("the retry did not clear the entry; log:\n{}", worker.log()));
    let requests = receiver.requests();
    assert!(
        requests.len() >= 2,
        "refused, then retried: {} requests",
        requests.len()
    );
    let key = format!("{id}:1:webhook");
    assert!(requests
        .iter()
        .all(|r| r.header("idempotency-key") == Some(key.as_str())));
}

#[test]
fn unauthenticated_and_malformed_requests_write_nothing() {
    let worker = LocalWorker::start("rejects");
    let client = worker.client("demo");
    let objects_before = worker.durable_object_count();
    let url = format!("{}/dashboard/incidents", worker.base_url());
    let body = br#"{"prompt":"db down"}"#;

    // No signature at all.
    let unsigned = ureq::post(&url).send_bytes(body).unwrap_err();
    let ureq::Error::Status(401, response) = unsigned else {
        panic!("expected 401, got {unsigned:?}")
    };
    let error: Value = response.into_json().unwrap();
    assert_eq!(error["error"]["code"], "UNAUTHORIZED");

    // Headers signed for another route (and for a GET) replayed against the create route.
    for (method, path) in [
        ("POST", "/dashboard/incidents/elsewhere"),
        ("GET", "/dashboard/incidents"),
    ] {
        let headers = signed_headers(method, path, body);
        let (status, _) = send_raw(
            &worker.base_url(),
            "POST",
            "/dashboard/incidents",
            &headers,
            body,
        )
        .unwrap();
        assert_eq!(status, 401, "replayed {method} {path} signature");
    }

    // The wrong secret.
    let forged = incidentctl::Client::new(incidentctl::Credentials {
        secret: "wrong".into(),
        ..client.credentials().clone()
    });
    assert_eq!(
        forged
            .send("POST", "/dashboard/incidents", body)
            .unwrap()
            .status,
        401
    );

    // Expired timestamp.
    let stale = client
        .send_at(
            "POST",
            "/dashboard/incidents",
            body,
            incidentctl::now_secs() - 301,
        )
        .unwrap();
    assert_eq!(
        (stale.status, stale.body["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );

    // Malformed JSON and well-formed JSON of the wrong shape.
    let malformed = client
        .send("POST", "/dashboard/incidents", b"{\"prompt\":")
        .unwrap();
    assert_eq!(
        (malformed.status, malformed.body["error"]["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
    let wrong_shape = client
        .send("POST", "/dashboard/incidents", br#"{"prompt":42}"#)
        .unwrap();
    assert_eq!(
        (
            wrong_shape.status,
            wrong_shape.body["error"]["code"].as_str()
        ),
        (422, Some("INVALID_INPUT"))
    );
    let empty = client
        .send("POST", "/dashboard/incidents", br#"{"prompt":"  "}"#)
        .unwrap();
    assert_eq!(empty.status, 422);

    // Nothing was written: no Durable Object, nothing in the index.
    assert_eq!(worker.durable_object_count(), objects_before);
    std::thread::sleep(Duration::from_millis(500));
    assert!(listed_ids(&client.get("/dashboard/incidents").unwrap()).is_empty());
}

/// Sends exactly the same signed bytes twice (what a captured request replayed within the
/// signature window looks like).
fn send_twice(
    worker: &LocalWorker,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Value, u16, Value) {
    let headers = signed_headers(method, path, body);
    let send = || send_raw(&worker.base_url(), method, path, &headers, body).unwrap();
    let (first_status, first) = send();
    let (second_status, second) = send();
    (first_status, first, second_status, second)
}

/// Headers of `demo` signed for `method` and `path` (whatever the request is actually sent to).
fn signed_headers(method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
    let nonce = incidentctl::nonce();
    let signed = SignedRequest {
        method,
        path,
        client_id: "demo",
        user_id: "demo-user",
        timestamp: incidentctl::now_secs(),
        nonce: &nonce,
        body,
    };
    signed
        .headers(TEST_SECRET.as_bytes())
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[test]
fn exact_replays_within_the_window_change_nothing() {
    let worker = LocalWorker::start("replays");
    let client = worker.client("demo");

    // A replayed create answers the incident the first one made.
    let (s1, first, s2, second) = send_twice(
        &worker,
        "POST",
        "/dashboard/incidents",
        br#"{"prompt":"replayed create"}"#,
    );
    assert_eq!((s1, s2), (201, 200), "{first} / {second}");
    let id = first["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(second["incident"]["id"], id.as_str());

    // A replayed change is refused and leaves the timeline alone.
    let path = format!("/dashboard/incidents/{id}/severity");
    let (s1, _, s2, replay) = send_twice(&worker, "POST", &path, br#"{"severity":"high"}"#);
    assert_eq!((s1, s2), (200, 409));
    assert_eq!(replay["error"]["code"], "REQUEST_REPLAYED");
    // A fresh request (new signature) is applied as usual.
    client.post(&path, &json!({ "severity": "low" })).unwrap();
    let timeline = client
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap()
        .body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["kind"] != "triage") // its note, no model here
        .count();
    assert_eq!(timeline, 3, "created, high, low");
    let incident = client
        .get(&format!("/dashboard/incidents/{id}"))
        .unwrap()
        .body["incident"]
        .clone();
    assert_eq!(incident["severity"], "low");
}
