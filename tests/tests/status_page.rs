//! The public status page on local workerd: an incident and its affection, made through the
//! signed API, reach the page, summary.json and the Atom feed through the `status_page`
//! dispatcher; resolving moves it to the history; no internal field ever shows; ETags answer
//! 304; unknown slugs 404. Then a real browser (headless Chromium) renders the demo page.

use incidentd_e2e::{create_incident, poll, repo_root, LocalWorker};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How soon a change must be public: the dispatcher runs as soon as the event is forwarded.
const VISIBLE_WITHIN: Duration = Duration::from_secs(2);
/// Internal fields given to the incident; none may ever appear on a public route.
const SECRETS: [&str; 5] = [
    "SECRET-internal-title",
    "SECRET-prompt",
    "SECRET-assignee",
    "SECRET-chat-message",
    "SECRET-status-note",
];

/// One public GET: status, the headers the page sets, and the body.
struct Fetched {
    status: u16,
    etag: Option<String>,
    cache_control: Option<String>,
    content_type: Option<String>,
    body: String,
}

fn fetch_with(url: &str, method: &str, headers: &[(&str, &str)]) -> Fetched {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match request.call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let header = |name: &str| response.header(name).map(str::to_owned);
    Fetched {
        status: response.status(),
        etag: header("etag"),
        cache_control: header("cache-control"),
        content_type: header("content-type"),
        body: response.into_string().expect("a text body"),
    }
}

fn fetch(url: &str) -> Fetched {
    fetch_with(url, "GET", &[])
}

fn assert_public(what: &str, body: &str, incident_id: &str) {
    for secret in SECRETS {
        assert!(!body.contains(secret), "{what} shows {secret}:\n{body}");
    }
    assert!(
        !body.contains(incident_id),
        "{what} shows the internal incident id"
    );
}

fn post(client: &incidentctl::Client, path: &str, body: Value) -> Value {
    let reply = client.post(path, &body).expect("request");
    assert!(
        [200, 201].contains(&reply.status),
        "{path}: {} {:?}",
        reply.status,
        reply.body
    );
    reply.body
}

/// Declares an incident full of internal text and gives it a public affection.
fn incident_with_affection(client: &incidentctl::Client) -> String {
    let id = create_incident(
        client,
        "SECRET-prompt: the primary database password leaked",
    );
    let path = format!("/dashboard/incidents/{id}");
    post(
        client,
        &format!("{path}/assignee"),
        json!({ "assignee": "SECRET-assignee" }),
    );
    post(
        client,
        &format!("{path}/messages"),
        json!({ "message": "SECRET-chat-message", "message_id": "m-1" }),
    );
    post(
        client,
        &format!("{path}/affection"),
        json!({
            "title": "Checkout degraded",
            "services": [{ "id": "checkout", "impact": "major" }],
            "message": "We are investigating failed checkouts."
        }),
    );
    id
}

#[test]
fn the_public_page_follows_an_incident_and_never_shows_internal_fields() {
    let worker = LocalWorker::start("status-page");
    let client = worker.client("demo");
    let base = format!("{}/status/demo", worker.base_url());

    // Before any incident: every service operational, nothing active.
    let empty = fetch(&base);
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("All Systems Operational"));
    assert!(empty.body.contains("No active incidents."));

    let created = client
        .post(
            "/dashboard/incidents",
            &json!({ "prompt": "SECRET-prompt: details", "title": "SECRET-internal-title" }),
        )
        .expect("create");
    assert_eq!(created.status, 201, "{:?}", created.body);
    let titled = created.body["incident"]["id"].as_str().unwrap().to_owned();
    let id = incident_with_affection(&client);
    post(
        &client,
        &format!("/dashboard/incidents/{id}/affection/updates"),
        json!({ "message": "A fix is rolling out.", "status": "mitigating" }),
    );

    // Both updates reach the page, newest first, with the service in a major outage.
    let page = poll(VISIBLE_WITHIN, || {
        let page = fetch(&base);
        page.body.contains("A fix is rolling out.").then_some(page)
    })
    .unwrap_or_else(|| panic!("the update never reached the page; log:\n{}", worker.log()));
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    let newer = page.body.find("A fix is rolling out.").unwrap();
    let older = page
        .body
        .find("We are investigating failed checkouts.")
        .unwrap();
    assert!(newer < older, "newest first");
    assert!(page.body.contains("Major System Outage"));
    assert!(page.body.contains("Checkout degraded"));
    assert_public("the page", &page.body, &id);
    assert!(!page.body.contains(&titled));

    // The same in summary.json, in Statuspage's words.
    let summary = fetch(&format!("{base}/summary.json"));
    assert_eq!(summary.status, 200);
    assert_public("summary.json", &summary.body, &id);
    let summary: Value = serde_json::from_str(&summary.body).expect("JSON");
    assert_eq!(summary["page"]["id"], "demo");
    assert_eq!(summary["page"]["name"], "Demo Status");
    assert_eq!(summary["status"]["indicator"], "major");
    let incident = &summary["incidents"][0];
    assert_eq!(incident["name"], "Checkout degraded");
    assert_eq!(incident["status"], "identified");
    let bodies: Vec<&str> = incident["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "A fix is rolling out.",
            "We are investigating failed checkouts."
        ]
    );
    let checkout = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "checkout")
        .expect("the checkout component");
    assert_eq!(checkout["status"], "major_outage");

    // And in the feed.
    let feed = fetch(&format!("{base}/history.atom"));
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.content_type.as_deref(),
        Some("application/atom+xml; charset=utf-8")
    );
    assert!(feed.body.contains("<title>Checkout degraded</title>"));
    assert!(feed.body.contains("A fix is rolling out."));
    assert_public("the feed", &feed.body, &id);

    // Caching: a strong ETag, and 304 without a body when it still matches.
    let etag = page.etag.clone().expect("an ETag");
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert!(page
        .cache_control
        .as_deref()
        .is_some_and(|c| c.starts_with("public, max-age=30")));
    let again = fetch_with(&base, "GET", &[("if-none-match", &etag)]);
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    assert_eq!(again.etag.as_deref(), Some(etag.as_str()));

    // Resolving the incident (with an internal note) resolves the public incident.
    post(
        &client,
        &format!("/dashboard/incidents/{id}/status"),
        json!({ "status": "resolved", "message": "SECRET-status-note" }),
    );
    let resolved = poll(VISIBLE_WITHIN, || {
        let page = fetch(&base);
        page.body
            .contains("This incident has been resolved.")
            .then_some(page)
    })
    .unwrap_or_else(|| {
        panic!(
            "the resolution never reached the page; log:\n{}",
            worker.log()
        )
    });
    let history = resolved.body.find("Resolved incidents").unwrap();
    assert!(resolved.body.find("Checkout degraded").unwrap() > history);
    assert!(resolved.body.contains("All Systems Operational"));
    assert_public("the resolved page", &resolved.body, &id);
    let stale = fetch_with(&base, "GET", &[("if-none-match", &etag)]);
    assert_eq!(stale.status, 200, "a changed page is sent again");

    let summary = fetch(&format!("{base}/summary.json"));
    assert_public("summary.json", &summary.body, &id);
    let summary: Value = serde_json::from_str(&summary.body).unwrap();
    assert_eq!(summary["incidents"], json!([]), "only unresolved incidents");
    assert_eq!(summary["status"]["indicator"], "none");
    let feed = fetch(&format!("{base}/history.atom"));
    assert!(feed.body.contains("This incident has been resolved."));
    assert_public("the feed", &feed.body, &id);

    // Unknown pages, and methods that would write.
    let missing = fetch(&format!("{}/status/nobody", worker.base_url()));
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Status page not found"));
    let missing_json = fetch(&format!("{}/status/nobody/summary.json", worker.base_url()));
    assert_eq!(missing_json.status, 404);
    let error: Value = serde_json::from_str(&missing_json.body).expect("a JSON 404");
    assert_eq!(error["error"]["code"], "NOT_FOUND");
    assert_eq!(fetch(&format!("{base}/nothing-here")).status, 404);
    assert_eq!(fetch_with(&base, "POST", &[]).status, 405);
}

/// Runs headless Chromium with `args` on `url`, killing it after a minute at most; returns
/// its stdout and stderr.
fn chromium(profile: &Path, args: &[&str], url: &str) -> (String, String) {
    let mut child = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=412,915",
            // Loopback only: every other host name fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts (scripts/bootstrap installs it)");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (out.join().unwrap(), err.join().unwrap())
}

/// Console output and script errors Chromium logs to stderr.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect()
}

fn fresh_dir(path: PathBuf) -> PathBuf {
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).expect("a fresh directory");
    path
}

#[test]
fn a_real_browser_renders_the_demo_page_without_console_errors() {
    let worker = LocalWorker::start("status-page-browser");
    let client = worker.client("demo");
    let id = incident_with_affection(&client);
    let url = format!("{}/status/demo", worker.base_url());
    poll(VISIBLE_WITHIN, || {
        fetch(&url).body.contains("Checkout degraded").then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "the affection never reached the page; log:\n{}",
            worker.log()
        )
    });

    let scratch = repo_root().join("target/e2e-state/chromium");
    let (dom, stderr) = chromium(
        &fresh_dir(scratch.join(format!("dom-{}", std::process::id()))),
        &["--dump-dom"],
        &url,
    );
    for text in [
        "<h1>Demo Status</h1>",
        "Major System Outage",
        "Checkout degraded",
        "We are investigating failed checkouts.",
        "Public API",
    ] {
        assert!(
            dom.contains(text),
            "the rendered page lacks {text:?}:\n{dom}"
        );
    }
    assert_public("the rendered page", &dom, &id);
    assert_eq!(console_errors(&stderr), Vec::<&str>::new(), "{stderr}");

    let screenshot = repo_root().join("target/status-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let (_, stderr) = chromium(
        &fresh_dir(scratch.join(format!("shot-{}", std::process::id()))),
        &[&format!("--screenshot={}", screenshot.display())],
        &url,
    );
    assert_eq!(console_errors(&stderr), Vec::<&str>::new(), "{stderr}");
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    // The IHDR chunk: the phone-sized viewport it was taken at.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 412);
}
