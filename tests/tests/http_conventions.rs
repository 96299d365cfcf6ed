//! HTTP conventions on local workerd: every route's 405 carries `Allow` with exactly the
//! methods the route table serves it with; the incident list pages through more rows than one
//! page with a cursor and filters (also through `incidentctl list`); a status page without
//! incidents dates itself by its own last change, not 1970.

use incidentd_adapters::http::routes::{methods_of, ROUTES};
use incidentd_e2e::{
    incidentctl_binary, list_summaries, poll, LocalWorker, TEST_ADMIN_TOKEN, TEST_SECRET,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// `method path` without credentials: status, `Allow`, body.
fn send(worker: &LocalWorker, method: &str, path: &str) -> (u16, Option<String>, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let url = format!("{}{path}", worker.base_url());
    let result = agent.request(method, &url).send_bytes(b"{}");
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = response.status();
    let allow = response.header("allow").map(str::to_owned);
    (status, allow, response.into_string().unwrap_or_default())
}

#[test]
fn every_405_lists_the_methods_its_route_accepts() {
    let worker = LocalWorker::start("http-405");
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for template in paths {
        let path: String = template
            .split('/')
            .map(|s| match s {
                "{id}" => "0".repeat(64),
                "{slug}" => "demo".to_owned(),
                "{event_id}" => "1".to_owned(),
                s if s.starts_with('{') => "x".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let allowed = methods_of(template);
        for method in METHODS.iter().filter(|m| !allowed.contains(m)) {
            let (status, allow, body) = send(&worker, method, &path);
            checked += 1;
            let listed: Option<Vec<String>> = allow
                .as_deref()
                .map(|a| a.split(',').map(|m| m.trim().to_owned()).collect());
            let expected: Vec<String> = allowed.iter().map(|m| (*m).to_owned()).collect();
            if status != 405 || listed.as_ref() != Some(&expected) {
                failures.push(format!(
                    "{method} {path}: {status}, Allow {allow:?} (expected 405, Allow {expected:?}); {body}"
                ));
            }
        }
    }
    assert!(checked > 100, "{checked} requests");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{checked} wrong-method requests answered 405 with their route's Allow");
}

/// Every page of `query` (a query string without `limit`), `limit` rows at a time.
fn all_pages(client: &incidentctl::Client, query: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/dashboard/incidents?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let reply = client.get(&path).expect("list");
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        pages.push(reply.body["incidents"].as_array().unwrap().clone());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(reply.body["next_cursor"].is_null());
                return pages;
            }
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_list_pages_with_a_cursor_and_filters() {
    let worker = LocalWorker::start("http-list");
    let demo = worker.client("demo");
    // 13 incidents: severities cycle, every third moved to mitigating.
    let severities = ["low", "medium", "high"];
    let mut made = Vec::new();
    for n in 0..13 {
        let reply = demo
            .post(
                "/dashboard/incidents",
                &json!({ "prompt": format!("list paging {n}"), "severity": severities[n % 3] }),
            )
            .unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = reply.body["incident"]["id"].as_str().unwrap().to_owned();
        if n % 3 == 0 {
            let moved = demo
                .post(
                    &format!("/dashboard/incidents/{id}/status"),
                    &json!({ "status": "mitigating", "message": "" }),
                )
                .unwrap();
            assert_eq!(moved.status, 200, "{}", moved.body);
        }
        made.push((
            id,
            severities[n % 3],
            if n % 3 == 0 { "mitigating" } else { "open" },
        ));
    }
    // One names a service on its status-page affection.
    let with_service = &made[4].0;
    let affected = demo
        .post(
            &format!("/dashboard/incidents/{with_service}/affection"),
            &json!({ "title": "API errors", "services": [{ "id": "checkout", "impact": "major" }], "message": "looking" }),
        )
        .unwrap();
    assert_eq!(affected.status, 201, "{}", affected.body);
    let indexed = poll(Duration::from_secs(30), || {
        let list = list_summaries(&demo);
        made.iter()
            .all(|(id, _, status)| {
                list.iter()
                    .any(|r| r["id"] == id.as_str() && r["status"] == *status)
            })
            .then_some(list)
    })
    .unwrap_or_else(|| panic!("the index never caught up; log:\n{}", worker.log()));
    assert_eq!(indexed.len(), 13);

    // Newest first, ties by id, every row once, pages of 4 (4 + 4 + 4 + 1).
    let pages = all_pages(&demo, "", 4);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 4, 1]);
    let flat: Vec<Value> = pages.concat();
    let keys: Vec<(i64, String)> = flat
        .iter()
        .map(|r| {
            (
                r["created_at"].as_i64().unwrap(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(keys, sorted, "newest first, no repeats");

    // Filters, paged.
    let mitigating: BTreeSet<String> = made
        .iter()
        .filter(|m| m.2 == "mitigating")
        .map(|m| m.0.clone())
        .collect();
    let got: BTreeSet<String> = ids(&all_pages(&demo, "status=mitigating", 2).concat())
        .into_iter()
        .collect();
    assert_eq!(got, mitigating);
    let both = all_pages(&demo, "status=mitigating&status=open", 5).concat();
    assert_eq!(both.len(), 13);
    let high_open: BTreeSet<String> = made
        .iter()
        .filter(|m| m.1 == "high" && m.2 == "open")
        .map(|m| m.0.clone())
        .collect();
    let got: BTreeSet<String> = ids(&all_pages(&demo, "severity=high&status=open", 1).concat())
        .into_iter()
        .collect();
    assert_eq!(got, high_open);
    // The created range: [the 5th newest's created_at, the newest's) holds the rows between.
    let (newest, fifth) = (keys[0].0, keys[4].0);
    let in_range = all_pages(
        &demo,
        &format!("created_after={fifth}&created_before={newest}"),
        2,
    )
    .concat();
    assert!(in_range.iter().all(|r| {
        let t = r["created_at"].as_i64().unwrap();
        (fifth..newest).contains(&t)
    }));
    assert_eq!(
        in_range.len(),
        keys.iter()
            .filter(|k| (fifth..newest).contains(&k.0))
            .count()
    );
    let by_service = poll(Duration::from_secs(30), || {
        let rows = all_pages(&demo, "service=checkout", 3).concat();
        (!rows.is_empty()).then_some(rows)
    })
    .expect("the affection's service reaches the list");
    assert_eq!(ids(&by_service), std::slice::from_ref(with_service));

    // New incidents while paging: later pages neither shift nor repeat.
    let first = demo.get("/dashboard/incidents?limit=5").unwrap();
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    for n in 0..3 {
        let reply = demo
            .post(
                "/dashboard/incidents",
                &json!({ "prompt": format!("meanwhile {n}") }),
            )
            .unwrap();
        assert_eq!(reply.status, 201);
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut seen = ids(first.body["incidents"].as_array().unwrap());
    let mut next = Some(cursor);
    while let Some(c) = next {
        let reply = demo
            .get(&format!("/dashboard/incidents?limit=5&cursor={c}"))
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        seen.extend(ids(reply.body["incidents"].as_array().unwrap()));
        next = reply.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen.len(),
        13,
        "exactly the incidents that existed at the first page"
    );
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 13);

    // Refusals: 400 with the reason.
    let refused = |path: &str, code: &str, says: &str| {
        let reply = demo.get(path).unwrap();
        assert_eq!(
            (reply.status, reply.body["error"]["code"].as_str()),
            (400, Some(code)),
            "{path}: {}",
            reply.body
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{path}: {message}");
    };
    let other_filters = demo
        .get("/dashboard/incidents?limit=2&status=open")
        .unwrap();
    let open_cursor = other_filters.body["next_cursor"].as_str().unwrap();
    refused(
        &format!("/dashboard/incidents?cursor={open_cursor}"),
        "INVALID_CURSOR",
        "issued for other filters",
    );
    refused(
        "/dashboard/incidents?cursor=bm9wZQ",
        "INVALID_CURSOR",
        "not a cursor this server issued",
    );
    let tampered: String = open_cursor.chars().rev().collect();
    refused(
        &format!("/dashboard/incidents?status=open&cursor={tampered}"),
        "INVALID_CURSOR",
        "cursor:",
    );
    refused(
        "/dashboard/incidents?created_after=2026-01-01T00:00:00Z",
        "INVALID_QUERY",
        "unix milliseconds expected, not an RFC 3339 time",
    );
    refused(
        "/dashboard/incidents?limit=500",
        "INVALID_QUERY",
        "limit: a whole number from 1 to 200",
    );
    refused(
        "/dashboard/incidents?status=closed",
        "INVALID_QUERY",
        "status: one of",
    );
    refused(
        "/dashboard/incidents?sort=asc",
        "INVALID_QUERY",
        "unknown parameter",
    );

    // The same through incidentctl: --all follows the cursors.
    let output = std::process::Command::new(incidentctl_binary())
        .args([
            "--json",
            "list",
            "--status",
            "open",
            "--severity",
            "high",
            "--limit",
            "1",
            "--all",
        ])
        .env("INCIDENTD_URL", worker.base_url())
        .env("INCIDENTD_CLIENT", "demo")
        .env("INCIDENTD_SECRET", TEST_SECRET)
        .output()
        .expect("incidentctl runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let got: BTreeSet<String> = ids(listed["incidents"].as_array().unwrap())
        .into_iter()
        .collect();
    assert_eq!(got, high_open);
    assert!(listed["next_cursor"].is_null());
    let one_page = std::process::Command::new(incidentctl_binary())
        .args(["list", "--limit", "2", "--since", "1970-01-01T00:00:00Z"])
        .env("INCIDENTD_URL", worker.base_url())
        .env("INCIDENTD_SECRET", TEST_SECRET)
        .output()
        .expect("incidentctl runs");
    assert!(one_page.status.success());
    assert_eq!(String::from_utf8_lossy(&one_page.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&one_page.stderr).contains("--cursor "));
}

#[test]
fn a_status_page_without_incidents_is_dated_by_its_own_last_change() {
    let worker = LocalWorker::start("http-summary");
    let operator = |method: &str, path: &str, body: Value| {
        let reply = incidentctl::send_as_operator(
            &worker.base_url(),
            TEST_ADMIN_TOKEN,
            method,
            path,
            body.to_string().as_bytes(),
        )
        .unwrap();
        assert!(reply.is_success(), "{method} {path}: {}", reply.body);
    };
    operator("POST", "/admin/tenants", json!({ "id": "quiet" }));
    operator(
        "PUT",
        "/admin/tenants/quiet/status-page",
        json!({ "slug": "quiet", "title": "Quiet" }),
    );
    let (status, _, body) = send(&worker, "GET", "/status/quiet/summary.json");
    assert_eq!(status, 200, "{body}");
    let summary: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["incidents"], json!([]));
    let updated_at = summary["page"]["updated_at"].as_str().unwrap();
    let now = incidentctl::now_secs();
    let at = chrono::DateTime::parse_from_rfc3339(updated_at).unwrap();
    assert!(
        (now - at.timestamp()).abs() < 300,
        "updated_at {updated_at} is not the page's creation (now {now})"
    );
}
