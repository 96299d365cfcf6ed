//! Where an update's cost goes: server CPU per request of a ladder of workloads, each adding
//! parts to the one before, so the differences split one update into its parts (the profile
//! table of docs/BENCHMARKS.md).
//!
//! Every workload is `N` sequential requests followed by a wait until the server's processes
//! are idle again (whatever the requests set off in the background, drained), counting the CPU
//! seconds every server process used (`/proc`: wrangler's node, its proxy and the runtime
//! workerd, which runs the worker, its objects, the Workflows engine and D1). CPU seconds do
//! not depend on how busy the rest of the machine is the way latencies do, so the ladder is
//! readable on a shared two-core machine.
//!
//! Why not a sampling profiler: V8's profiler through workerd's inspector takes samples only
//! while an isolate runs (a few per request, each charged the wall time since the previous
//! one), and connecting to workerd's inner inspector beside wrangler's proxy crashed it.
//!
//! A benchmark: it prints figures and asserts nothing but the requests' success. Needs
//! `scripts/bench`'s builds.
//!
//! `cargo run --release -p incidentd-e2e --bin bench-profile [-- <requests>]` (default 200;
//! `INCIDENTD_DEV_SERVER=plain` for the server without the inspector).

use incidentd_e2e::{create_incident, DevServer, LocalWorker};
use serde_json::json;
use std::time::{Duration, Instant};

const DEFAULT_REQUESTS: usize = 200;
const OBJECTS: usize = 50;
/// The server counts as idle once it used less than this much CPU in a [`QUIET_POLL`].
const QUIET_CPU_SECONDS: f64 = 0.02;
const QUIET_POLL: Duration = Duration::from_millis(500);
const QUIET_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the idle server's own CPU use is measured before each workload.
const IDLE_SAMPLE: Duration = Duration::from_secs(3);

/// Waits until the server's processes stop using CPU.
fn wait_quiet(worker: &LocalWorker) {
    let start = Instant::now();
    let mut last = worker.cpu_seconds();
    let mut quiet_polls = 0;
    while quiet_polls < 2 {
        assert!(
            start.elapsed() < QUIET_TIMEOUT,
            "the server never went idle"
        );
        std::thread::sleep(QUIET_POLL);
        let now = worker.cpu_seconds();
        quiet_polls = if now - last < QUIET_CPU_SECONDS {
            quiet_polls + 1
        } else {
            0
        };
        last = now;
    }
}

/// Server CPU milliseconds per request of `n` requests and what they set off, less what the
/// idle server uses in the same time (timers, wrangler's own polling).
fn cpu_ms_per_request(worker: &LocalWorker, n: usize, request: &mut dyn FnMut(usize)) -> f64 {
    wait_quiet(worker);
    let idle_start = worker.cpu_seconds();
    std::thread::sleep(IDLE_SAMPLE);
    let idle_rate = (worker.cpu_seconds() - idle_start) / IDLE_SAMPLE.as_secs_f64();
    let start = Instant::now();
    let before = worker.cpu_seconds();
    for i in 0..n {
        request(i);
    }
    wait_quiet(worker);
    let used = worker.cpu_seconds() - before - idle_rate * start.elapsed().as_secs_f64();
    used.max(0.0) * 1_000.0 / n as f64
}

struct Row {
    workload: &'static str,
    adds: &'static str,
    ms: f64,
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("requests: a number"))
        .unwrap_or(DEFAULT_REQUESTS);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut rows = Vec::new();

    let bare = LocalWorker::start_bare("profile-bare");
    let bare_url = bare.base_url();
    let bare_post = |path: String| {
        let status = agent
            .post(&format!("{bare_url}{path}"))
            .call()
            .expect("bare request")
            .status();
        assert_eq!(status, 200, "bare {path}");
    };
    for i in 0..30 {
        bare_post(format!("/write/warm-{i}"));
        bare_post(format!("/pipeline/warm-{i}"));
    }
    rows.push(Row {
        workload: "bare write",
        adds: "router, DO hop, one row + alarm",
        ms: cpu_ms_per_request(&bare, n, &mut |i| {
            bare_post(format!("/write/object-{}", i % OBJECTS));
        }),
    });
    rows.push(Row {
        workload: "bare pipeline floor",
        adds: "+ alarm pass, sendEvent, one-step Workflow, D1 upsert",
        ms: cpu_ms_per_request(&bare, n, &mut |i| {
            bare_post(format!("/pipeline/p{}", i % OBJECTS));
        }),
    });
    drop(bare);

    let incidentd = LocalWorker::start("profile-incidentd");
    let client = incidentd.client("demo");
    let incident = create_incident(&client, "profiled incident");
    let messages = format!("/dashboard/incidents/{incident}/messages");
    let update = |id: String, expect: u16| {
        let body = json!({ "message": "m", "message_id": id });
        let reply = client.post(&messages, &body).expect("update");
        assert_eq!(reply.status, expect, "update: {:?}", reply.body);
    };
    for i in 0..30 {
        update(format!("warm-{i}"), 201);
    }
    rows.push(Row {
        workload: "incidentd read (GET incident)",
        adds: "router, signature check, RPC to the object, a read",
        ms: cpu_ms_per_request(&incidentd, n, &mut |_| {
            let reply = client
                .get(&format!("/dashboard/incidents/{incident}"))
                .expect("read");
            assert_eq!(reply.status, 200, "read: {:?}", reply.body);
        }),
    });
    rows.push(Row {
        workload: "incidentd duplicate update (known message_id)",
        adds: "+ decide, idempotency lookup (nothing committed)",
        ms: cpu_ms_per_request(&incidentd, n, &mut |_| update("warm-0".into(), 200)),
    });
    rows.push(Row {
        workload: "incidentd update (new message)",
        adds: "+ commit, alarm pass, sendEvent, workflow resume, sender steps, D1 index",
        ms: cpu_ms_per_request(&incidentd, n, &mut |i| update(format!("profile-{i}"), 201)),
    });
    rows.push(Row {
        workload: "incidentd create",
        adds: "create path, triage, first instance, its fan-out",
        ms: cpu_ms_per_request(&incidentd, n, &mut |i| {
            let reply = client
                .post(
                    "/dashboard/incidents",
                    &json!({ "prompt": format!("profiled create {i}") }),
                )
                .expect("create");
            assert_eq!(reply.status, 201, "create: {:?}", reply.body);
        }),
    });

    println!(
        "server CPU per request on {}, {n} sequential requests per workload, each drained before the next",
        DevServer::from_env().describe()
    );
    let bare_ms = rows[0].ms;
    for row in &rows {
        println!(
            "  {:<46} {:>7.2} ms  {:>5.2}x bare write   {}",
            row.workload,
            row.ms,
            row.ms / bare_ms,
            row.adds
        );
    }
    let by = |name: &str| {
        rows.iter()
            .find(|r| r.workload == name)
            .map(|r| r.ms)
            .expect("measured")
    };
    let ack_only = by("incidentd duplicate update (known message_id)");
    let update_ms = by("incidentd update (new message)");
    let floor_drain = by("bare pipeline floor") - bare_ms;
    println!("derived:");
    println!(
        "  update's commit and drain (update - duplicate)           {:>7.2} ms",
        update_ms - ack_only
    );
    println!(
        "  the floor's drain of one event (pipeline - bare write)   {:>7.2} ms",
        floor_drain
    );
    println!(
        "  update's request path without commit (duplicate - bare) {:>7.2} ms",
        ack_only - bare_ms
    );
}
