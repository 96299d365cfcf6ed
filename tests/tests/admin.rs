//! The admin API end to end on local workerd: operator authentication, validation that
//! writes nothing, signing-secret rotation with its grace period, and a rotation entry point
//! paging whoever is on call at declaration.

use incidentctl::{Client, Credentials};
use incidentd_e2e::{poll, send_raw, LocalWorker, TEST_ADMIN_TOKEN, TEST_SECRET};
use incidentd_wire::signing::SignedRequest;
use serde_json::{json, Value};
use std::time::Duration;

fn admin(worker: &LocalWorker, method: &str, path: &str, body: &Value) -> (u16, Value) {
    admin_as(worker, Some(TEST_ADMIN_TOKEN), method, path, body)
}

fn admin_as(
    worker: &LocalWorker,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    send_raw(&worker.base_url(), method, path, &headers, &body).expect("admin request")
}

fn signed_client(worker: &LocalWorker, tenant: &str, secret: &str) -> Client {
    Client::new(Credentials {
        base_url: worker.base_url(),
        client_id: tenant.to_owned(),
        user_id: "operator-test".to_owned(),
        secret: secret.to_owned(),
    })
}

fn list_status(client: &Client) -> u16 {
    client
        .get(incidentctl::INCIDENTS_PATH)
        .expect("list request")
        .status
}

#[test]
fn operator_auth_validation_secret_rotation_and_rotation_entry_points() {
    let worker = LocalWorker::start("admin");

    // Authentication: no token, a wrong token, and tenant dashboard credentials are all 401.
    assert_eq!(
        admin_as(&worker, None, "GET", "/admin/tenants/demo", &Value::Null).0,
        401
    );
    assert_eq!(
        admin_as(
            &worker,
            Some("wrong"),
            "GET",
            "/admin/tenants/demo",
            &Value::Null
        )
        .0,
        401
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let dashboard_headers: Vec<(String, String)> = SignedRequest {
        method: "GET",
        path: "/admin/tenants/demo",
        client_id: "demo",
        user_id: "u",
        timestamp: now,
        nonce: "admin-e2e-1",
        body: b"",
    }
    .headers(TEST_SECRET.as_bytes())
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (status, _) = send_raw(
        &worker.base_url(),
        "GET",
        "/admin/tenants/demo",
        &dashboard_headers,
        b"",
    )
    .unwrap();
    assert_eq!(
        status, 401,
        "dashboard credentials are not operator credentials"
    );

    // A tenant from zero.
    let (status, body) = admin(
        &worker,
        "POST",
        "/admin/tenants",
        &json!({"id": "acme", "name": "Acme"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        admin(&worker, "POST", "/admin/tenants", &json!({"id": "acme"})).0,
        409
    );

    // Bad input: 422 naming the field, nothing written.
    let bad = json!({"members": ["ann"], "shift_hours": 24, "handoff_time": "09:00",
        "time_zone": "Mars/Olympus", "starts_on": "2026-01-01"});
    let (status, body) = admin(
        &worker,
        "PUT",
        "/admin/tenants/acme/rotations/primary",
        &bad,
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("time_zone:"),
        "{body}"
    );
    let (status, body) = admin(
        &worker,
        "PUT",
        "/admin/tenants/acme/rotations/primary",
        &json!({"members": ["ann"], "shift_hours": 24, "handoff_time": "09:00", "time_zone": "UTC",
                "starts_on": "2026-01-01", "colour": "red"}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{body}"
    );
    let (status, body) = admin(
        &worker,
        "PUT",
        "/admin/tenants/acme/entry-points/oncall",
        &json!({"kind": "rotation", "rotation_id": "primary", "prompt": "", "fallback": true}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("rotation_id:"),
        "{body}"
    );
    let (_, summary) = admin(&worker, "GET", "/admin/tenants/acme", &Value::Null);
    assert_eq!(summary["tenant"]["rotations"], json!([]), "{summary}");
    assert_eq!(summary["tenant"]["entry_points"], json!([]), "{summary}");

    // A daily UTC rotation that started yesterday at 00:00: today is bob's turn.
    let yesterday = (chrono::DateTime::from_timestamp(now, 0).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let rotation = json!({"members": ["ann", "bob"], "shift_hours": 24, "handoff_time": "00:00",
        "time_zone": "UTC", "starts_on": yesterday});
    assert_eq!(
        admin(
            &worker,
            "PUT",
            "/admin/tenants/acme/rotations/primary",
            &rotation
        )
        .0,
        200
    );
    let (status, body) = admin(
        &worker,
        "PUT",
        "/admin/tenants/acme/entry-points/oncall",
        &json!({"kind": "rotation", "rotation_id": "primary", "prompt": "everything", "fallback": true}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        admin(
            &worker,
            "PUT",
            "/admin/tenants/acme/services/api",
            &json!({"name": "API", "public": true})
        )
        .0,
        200
    );
    assert_eq!(
        admin(
            &worker,
            "PUT",
            "/admin/tenants/acme/status-page",
            &json!({"slug": "acme", "title": "Acme Status"})
        )
        .0,
        200
    );
    let (_, summary) = admin(&worker, "GET", "/admin/tenants/acme", &Value::Null);
    assert_eq!(
        summary["tenant"]["rotations"][0]["on_call_now"], "bob",
        "{summary}"
    );
    assert!(!summary.to_string().contains(TEST_SECRET));

    // Declaring pages the member on call (signed with the Worker secret: no own secret yet).
    let acme = signed_client(&worker, "acme", TEST_SECRET);
    let reply = acme
        .post(
            incidentctl::INCIDENTS_PATH,
            &json!({"prompt": "api is down"}),
        )
        .expect("create");
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(
        reply.body["incident"]["assignee"], "bob",
        "{:?}",
        reply.body
    );

    // Secret rotation: the replaced secret (here the Worker's) stays valid for the grace only.
    let (status, body) = admin(
        &worker,
        "POST",
        "/admin/tenants/acme/signing-secret/rotate",
        &json!({"grace_seconds": 2}),
    );
    assert_eq!(status, 200, "{body}");
    let first = body["signing_secret"]
        .as_str()
        .expect("the new secret, once")
        .to_owned();
    let (_, summary) = admin(&worker, "GET", "/admin/tenants/acme", &Value::Null);
    assert_eq!(summary["tenant"]["own_signing_secret"], true);
    assert!(!summary.to_string().contains(&first), "never shown again");
    assert_eq!(
        list_status(&signed_client(&worker, "acme", &first)),
        200,
        "the new secret works"
    );
    assert_eq!(list_status(&acme), 200, "the old one too, within the grace");
    let refused = poll(Duration::from_secs(10), || {
        (list_status(&acme) == 401).then_some(())
    });
    assert!(
        refused.is_some(),
        "the old secret is refused after the grace"
    );
    assert_eq!(list_status(&signed_client(&worker, "acme", &first)), 200);
    assert_eq!(
        list_status(&worker.client("demo")),
        200,
        "other tenants keep the Worker secret"
    );

    // A second rotation keeps the first secret for its grace, then only the second works.
    let (_, body) = admin(
        &worker,
        "POST",
        "/admin/tenants/acme/signing-secret/rotate",
        &json!({"grace_seconds": 1}),
    );
    let second = body["signing_secret"].as_str().unwrap().to_owned();
    assert_eq!(list_status(&signed_client(&worker, "acme", &second)), 200);
    let refused = poll(Duration::from_secs(10), || {
        (list_status(&signed_client(&worker, "acme", &first)) == 401).then_some(())
    });
    assert!(
        refused.is_some(),
        "the first secret is refused after its grace"
    );
    assert_eq!(list_status(&signed_client(&worker, "acme", &second)), 200);
}
