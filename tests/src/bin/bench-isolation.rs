//! Isolation (docs/BENCHMARKS.md): status-page delivery latency with Slack healthy and with
//! Slack down, in the same run. Two workers on local workerd, each with its own `FakeSlack`
//! on 127.0.0.1 connected to the demo tenant; the second's answers every call with HTTP 500,
//! so Slack's lane of every incident retries throughout. Per sample: declare an incident, give
//! it an affection, then two affection updates; each is timed from the 2xx of its request to
//! the moment `summary.json` (read from D1, as the public page is) shows its message.
//! Rounds alternate between the workers, so drift on a shared machine hits both alike.
//!
//! A benchmark, not a test: it prints p50, p99 and max per worker and the down/healthy ratio
//! of each (budget: the ratio ≤ 1.2), and asserts only that every step succeeds.
//! `bench-isolation [INCIDENTS [ROUNDS]]` (default 20 incidents per round, 3 rounds: 180 samples
//! each, fewer leave the p99 to one or two samples);
//! `scripts/bench` builds the worker first.

use incidentd_e2e::slack::{connect, start_with_slack, ADMIN_TOKEN};
use incidentd_e2e::{create_incident, percentile, DevServer, LocalWorker};
use incidentd_testkit::{FakeSlack, Fault, SlackCall};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Checked this often: fine enough for a latency, light enough not to load the worker.
const POLL_EVERY: Duration = Duration::from_millis(10);
const GIVE_UP: Duration = Duration::from_secs(60);

struct Setup {
    label: &'static str,
    worker: LocalWorker,
    // Kept alive for the worker to talk to.
    _slack: FakeSlack,
    samples: Vec<f64>,
}

impl Setup {
    fn start(label: &'static str, slack_down: bool) -> Setup {
        let slack = FakeSlack::start();
        let worker = start_with_slack(&format!("bench-isolation-{label}"), &slack);
        let connected = connect(&worker, ADMIN_TOKEN);
        assert_eq!(connected.status, 201, "connect: {:?}", connected.body);
        if slack_down {
            slack.fail_when(|_: &SlackCall| Some(Fault::ServerError));
        }
        Setup {
            label,
            worker,
            _slack: slack,
            samples: Vec::new(),
        }
    }

    fn summary(&self) -> String {
        let url = format!("{}/status/demo/summary.json", self.worker.base_url());
        match ureq::get(&url).call() {
            Ok(reply) => reply.into_string().unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Sends `body` to `path` and returns ms from its 2xx until summary.json shows `message`.
    fn public_after(&self, path: &str, body: Value, message: &str) -> f64 {
        let client = self.worker.client("demo");
        let reply = client.post(path, &body).expect("post");
        assert!(
            reply.is_success(),
            "{path}: {} {:?}",
            reply.status,
            reply.body
        );
        let acknowledged = Instant::now();
        while acknowledged.elapsed() < GIVE_UP {
            if self.summary().contains(message) {
                return acknowledged.elapsed().as_secs_f64() * 1_000.0;
            }
            std::thread::sleep(POLL_EVERY);
        }
        panic!(
            "{}: {message:?} never went public; log:\n{}",
            self.label,
            self.worker.log()
        );
    }

    /// One incident: its affection and two updates, each timed. `counted` false warms up.
    fn sample(&mut self, n: usize, counted: bool) {
        let client = self.worker.client("demo");
        let id = create_incident(&client, &format!("isolation bench incident {n}"));
        let base = format!("/dashboard/incidents/{id}/affection");
        let mut timed = vec![self.public_after(
            &base,
            json!({
                "title": format!("Degraded {n}"),
                "services": [{ "id": "checkout", "impact": "partial" }],
                "message": format!("investigating {n}")
            }),
            &format!("investigating {n}"),
        )];
        for update in 1..=2 {
            let message = format!("update {update} of {n}");
            timed.push(self.public_after(
                &format!("{base}/updates"),
                json!({ "message": message }),
                &message,
            ));
        }
        if counted {
            self.samples.extend(timed);
        }
    }

    fn figures(&self) -> (f64, f64, f64) {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        (
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            sorted.last().copied().unwrap_or(f64::NAN),
        )
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let incidents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut healthy = Setup::start("slack-healthy", false);
    let mut down = Setup::start("slack-down", true);
    // One uncounted incident each warms the isolate, the wasm module and the engine.
    healthy.sample(0, false);
    down.sample(0, false);
    let mut n = 1;
    for _ in 0..rounds {
        for setup in [&mut healthy, &mut down] {
            for _ in 0..incidents {
                setup.sample(n, true);
                n += 1;
            }
        }
    }
    println!(
        "{}, FakeSlack on loopback; {rounds} rounds x {incidents} incidents x 3 status-page changes",
        DevServer::from_env().describe()
    );
    println!("status-page delivery: acknowledgement -> summary.json shows the change");
    let base = healthy.figures();
    for setup in [&healthy, &down] {
        let (p50, p99, max) = setup.figures();
        println!(
            "  {:<14} n={:<4} p50={p50:>7.1} ms  p99={p99:>7.1} ms  max={max:>7.1} ms",
            setup.label,
            setup.samples.len()
        );
    }
    let (p50, p99, _) = down.figures();
    println!(
        "  ratio down/healthy: p50 {:.2}x, p99 {:.2}x (budget <= 1.2x)",
        p50 / base.0,
        p99 / base.1
    );
}
