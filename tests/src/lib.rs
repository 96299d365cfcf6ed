//! Harness for the end-to-end tests and benchmarks: starts the built worker on local workerd
//! (`wrangler dev`) on a free loopback port with its own state directory, applies the D1
//! migrations, and stops everything when dropped.
//!
//! It needs `build/` (run `scripts/build`) and `node_modules/` (run `scripts/bootstrap`);
//! `scripts/test` does both before running these tests.

pub mod reliability;
pub mod slack;

use incidentctl::{Client, Credentials};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How far ahead of the clock a "future timestamp" case signs: past the 300 s signature window
/// by a few seconds, so the second that may tick between signing and the server's check
/// cannot bring it back inside (the exact boundary is unit-tested in the auth modules).
pub const AHEAD: i64 = 303;

/// The secret the harness gives the worker (`--var`, which takes precedence over .dev.vars).
pub const TEST_SECRET: &str = "e2e-signing-secret";
/// The operator token the harness gives the worker (`ADMIN_TOKEN`, for `/admin/*`).
pub const TEST_ADMIN_TOKEN: &str = "e2e-admin-token";
/// How long the worker may take to answer /healthz after spawning.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);
/// What wrangler logs when workerd could not start (a port taken, for instance).
const RUNTIME_FAILED: &str = "The Workers runtime failed to start";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repo")
        .to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Runs `wrangler d1 <args> --local --persist-to <state_dir>` and fails with its output.
fn wrangler_d1(state_dir: &Path, args: &[&str], what: &str) {
    let output = Command::new(wrangler())
        .arg("d1")
        .args(args)
        .arg("--local")
        .arg("--persist-to")
        .arg(state_dir)
        .current_dir(repo_root())
        .env("CI", "true")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .expect("wrangler runs");
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An empty state directory under target/, after checking the build it will serve exists.
fn fresh_state_dir(name: &str, build: &str, hint: &str) -> PathBuf {
    let root = repo_root();
    for (path, hint) in [
        (build, hint),
        ("node_modules/.bin/wrangler", "scripts/bootstrap"),
    ] {
        assert!(
            root.join(path).exists(),
            "{path} is missing: run {hint} first (scripts/test does)"
        );
    }
    let state_dir = root
        .join("target/e2e-state")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state_dir);
    std::fs::create_dir_all(&state_dir).expect("state dir");
    state_dir
}

fn wrangler() -> PathBuf {
    repo_root().join("node_modules/.bin/wrangler")
}

fn log_path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("wrangler.log")
}

/// The server log's length so far: where the next start's lines begin.
fn log_len(state_dir: &Path) -> usize {
    std::fs::metadata(log_path_in(state_dir)).map_or(0, |m| m.len() as usize)
}

/// Spawns the server (see `LocalWorker::spawn`) without waiting for it.
fn start_server(state_dir: &Path, args: &[String], port: u16) -> Child {
    // Appended to: a restarted worker's lines follow the killed one's.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path_in(state_dir))
        .expect("log file");
    let mut command = match DevServer::from_env() {
        DevServer::Wrangler => {
            let mut command = Command::new(wrangler());
            command
                .args(["dev", "--local"])
                .args([
                    "--inspector-ip",
                    "127.0.0.1",
                    "--inspector-port",
                    &free_port().to_string(),
                ])
                .arg("--show-interactive-dev-session=false");
            command
        }
        DevServer::Plain => {
            let mut command = Command::new("node");
            command.arg(repo_root().join("tests/dev-server/plain.mjs"));
            command
        }
    };
    command
        .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
        // `info` unless the caller chose a level (wrangler refuses the flag twice).
        .args(
            (!args.iter().any(|a| a == "--log-level"))
                .then_some(["--log-level", "info"])
                .into_iter()
                .flatten(),
        )
        .args(args)
        .arg("--persist-to")
        .arg(state_dir)
        .current_dir(repo_root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("wrangler dev starts")
}

/// Which local server runs the worker (`INCIDENTD_DEV_SERVER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevServer {
    /// `wrangler dev` with its inspector: what a developer runs (the default).
    Wrangler,
    /// wrangler's API with the inspector off (`plain`).
    Plain,
}

impl DevServer {
    pub fn from_env() -> DevServer {
        match std::env::var("INCIDENTD_DEV_SERVER").as_deref() {
            Ok("plain") => DevServer::Plain,
            Ok("wrangler") | Err(_) => DevServer::Wrangler,
            Ok(other) => {
                panic!("INCIDENTD_DEV_SERVER must be `wrangler` or `plain`, not {other:?}")
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            DevServer::Wrangler => "wrangler dev (with the inspector)",
            DevServer::Plain => "plain local workerd (wrangler API, no inspector)",
        }
    }
}

/// A running local worker.
pub struct LocalWorker {
    child: Child,
    pub port: u16,
    pub state_dir: PathBuf,
    pub log_path: PathBuf,
    /// What the server was started with, for [`LocalWorker::restart`].
    args: Vec<String>,
    /// From spawning the server to its first 2xx on `/healthz` (the cold start).
    pub ready_after: Duration,
}

impl LocalWorker {
    /// Builds nothing: fails with a clear message when `build/` or `node_modules/` is missing.
    pub fn start(name: &str) -> LocalWorker {
        Self::start_with_vars(name, &[])
    }

    /// Starts with extra Worker variables (base URLs of fake services, for instance).
    pub fn start_with_vars(name: &str, vars: &[(&str, &str)]) -> LocalWorker {
        Self::start_with_secrets(name, vars, &[])
    }

    /// Like [`LocalWorker::start_with_vars`], plus Worker secrets. Secrets go through an
    /// `--env-file` in the state directory: wrangler prints `--var` values in its bindings
    /// table, so a secret given that way would be in the log a test searches for it.
    pub fn start_with_secrets(
        name: &str,
        vars: &[(&str, &str)],
        secrets: &[(&str, &str)],
    ) -> LocalWorker {
        let state_dir = fresh_state_dir(name, "build/index_bg.wasm", "scripts/build");
        wrangler_d1(&state_dir, &["migrations", "apply", "DB"], "D1 migrations");
        wrangler_d1(
            &state_dir,
            &["execute", "DB", "--file", "scripts/seed-demo.sql"],
            "seeding the demo tenant",
        );
        let mut args: Vec<String> = vars
            .iter()
            .flat_map(|(k, v)| ["--var".to_owned(), format!("{k}:{v}")])
            .collect();
        // Every secret through the env file, the caller's replacing the harness's defaults.
        let mut all: Vec<(&str, &str)> = vec![
            ("DASHBOARD_SIGNING_SECRET", TEST_SECRET),
            ("ADMIN_TOKEN", TEST_ADMIN_TOKEN),
        ];
        all.retain(|(k, _)| !secrets.iter().any(|(s, _)| s == k));
        all.extend_from_slice(secrets);
        let env_file = state_dir.join("secrets.env");
        let lines: String = all.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&env_file, lines).expect("secrets file");
        args.extend(["--env-file".to_owned(), env_file.display().to_string()]);
        if !secrets.is_empty() {
            // The worker's own console lines too, so a test can search them for the secrets.
            args.extend(["--log-level".to_owned(), "log".to_owned()]);
        }
        Self::spawn(state_dir, &args)
    }

    /// The bare baseline worker of `bench/bare` (built by `scripts/bench`), its D1 migrated.
    pub fn start_bare(name: &str) -> LocalWorker {
        let state_dir = fresh_state_dir(name, "bench/bare/build/index_bg.wasm", "scripts/bench");
        // The pipeline floor's D1 table (bench/bare/migrations).
        wrangler_d1(
            &state_dir,
            &[
                "migrations",
                "apply",
                "DB",
                "--config",
                "bench/bare/wrangler.toml",
            ],
            "bare D1 migrations",
        );
        Self::spawn(
            state_dir,
            &["--config".to_owned(), "bench/bare/wrangler.toml".to_owned()],
        )
    }

    /// `wrangler dev` on a free loopback port with its state in `state_dir`; with
    /// `INCIDENTD_DEV_SERVER=plain`, the same worker through `tests/dev-server/plain.mjs`
    /// (wrangler's API without the DevTools inspector, closer to production; see
    /// docs/BENCHMARKS.md).
    ///
    /// A port found free can be taken by another test's server before this one binds it
    /// (tests start servers in parallel); the runtime then fails to start. So a server that
    /// fails to start is started once more, on other ports.
    fn spawn(state_dir: PathBuf, args: &[String]) -> LocalWorker {
        match Self::spawn_on(state_dir.clone(), args, free_port()) {
            Ok(worker) => worker,
            Err(log) => {
                eprintln!(
                    "the dev server did not start; once more on other ports. Its log:\n{log}"
                );
                Self::spawn_on(state_dir, args, free_port()).unwrap_or_else(|log| {
                    panic!("worker not ready within {START_TIMEOUT:?}; log:\n{log}")
                })
            }
        }
    }

    /// The started worker, or the log of a server that did not start (it is stopped).
    fn spawn_on(state_dir: PathBuf, args: &[String], port: u16) -> Result<LocalWorker, String> {
        let spawned = Instant::now();
        let log_from = log_len(&state_dir);
        let mut worker = LocalWorker {
            child: start_server(&state_dir, args, port),
            port,
            log_path: log_path_in(&state_dir),
            state_dir,
            args: args.to_vec(),
            ready_after: Duration::ZERO,
        };
        worker.until_ready(log_from)?;
        worker.ready_after = spawned.elapsed();
        Ok(worker)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits for the first 200 on `/healthz`; the log when the runtime reports in it (past
    /// `log_from`, where this start's lines begin) that it failed to start, or after
    /// [`START_TIMEOUT`].
    fn until_ready(&self, log_from: usize) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while Instant::now() < deadline {
            if let Ok(r) = agent.get(&format!("{}/healthz", self.base_url())).call() {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            let log = self.log();
            if log
                .get(log_from..)
                .is_some_and(|new| new.contains(RUNTIME_FAILED))
            {
                return Err(log);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(self.log())
    }

    fn wait_ready(&self, log_from: usize) {
        if let Err(log) = self.until_ready(log_from) {
            panic!("worker not ready within {START_TIMEOUT:?}; log:\n{log}");
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// A client signed for `tenant` with the worker's secret.
    pub fn client(&self, tenant: &str) -> Client {
        Client::new(Credentials {
            base_url: self.base_url(),
            client_id: tenant.to_owned(),
            user_id: format!("{tenant}-user"),
            secret: TEST_SECRET.to_owned(),
        })
    }

    /// Durable Objects that have storage (one SQLite file each).
    pub fn durable_object_count(&self) -> usize {
        let dir = self.state_dir.join("v3/do/incidentd-Incident");
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        let path = e.path();
                        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                        path.extension().is_some_and(|x| x == "sqlite")
                            && stem.len() == 64
                            && stem.bytes().all(|b| b.is_ascii_hexdigit())
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// Process kills (tests/src/reliability.rs): the worker's workerd dies by SIGKILL, then the
// server starts again on the same port, state directory, variables and secrets.
// ---------------------------------------------------------------------------------------------

impl LocalWorker {
    /// The workerd processes running the worker itself: the server's workerd descendants, less
    /// the proxy that `wrangler dev` puts in front of it on [`LocalWorker::port`] (a separate
    /// workerd, left alive: a killed worker behind it is what a crash looks like to clients).
    pub fn workerd_pids(&self) -> Vec<u32> {
        let workerds: Vec<u32> = descendants(self.child.id())
            .into_iter()
            .filter(|pid| proc_comm(*pid).as_deref() == Some("workerd"))
            .collect();
        let proxy = format!("entry=127.0.0.1:{}", self.port);
        let runtimes: Vec<u32> = workerds
            .iter()
            .copied()
            .filter(|pid| !proc_cmdline(*pid).contains(&proxy))
            .collect();
        if runtimes.is_empty() {
            workerds // one workerd serving the port itself
        } else {
            runtimes
        }
    }

    /// SIGKILLs the worker's workerd ([`LocalWorker::workerd_pids`]): no graceful stop, no
    /// flush, whatever was in flight is cut. Returns the pids killed (panics when none).
    pub fn kill_workerd(&self) -> Vec<u32> {
        let pids = self.workerd_pids();
        assert!(!pids.is_empty(), "no workerd under pid {}", self.child.id());
        for pid in &pids {
            let status = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -KILL {pid} failed");
        }
        pids
    }

    /// Stops the server (what is left of it) and starts it again on the same port, state
    /// directory, variables and secrets; returns when it answers `/healthz`. The D1 migrations
    /// and seed are not applied again: the state is the one the previous run left.
    pub fn restart(&mut self) {
        stop_server(&mut self.child);
        let log_from = log_len(&self.state_dir);
        self.child = start_server(&self.state_dir, &self.args, self.port);
        self.wait_ready(log_from);
    }
}

/// SIGINT lets wrangler take down workerd and esbuild with it; SIGKILL after 10 s.
fn stop_server(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Every process below `root` (from /proc: each process's parent is field 4 of its `stat`).
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, proc_parent(pid)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        next += 1;
    }
    found.remove(0);
    found
}

fn proc_parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the
    // last `)`.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (tests/src/bin/bench-profile.rs): CPU time the server's processes used.
// ---------------------------------------------------------------------------------------------

impl LocalWorker {
    /// CPU seconds (user + system) used so far by every process of the server: wrangler's
    /// node, its proxy and the runtime workerd.
    pub fn cpu_seconds(&self) -> f64 {
        let ticks: u64 = std::iter::once(self.child.id())
            .chain(descendants(self.child.id()))
            .filter_map(proc_cpu_ticks)
            .sum();
        ticks as f64 / CLOCK_TICKS_PER_SECOND
    }
}

/// `USER_HZ` on Linux: /proc reports CPU times in these ticks.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime of a process, in clock ticks.
fn proc_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After `comm)`: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime stime (fields 3.. of proc(5)), so utime and stime are the 12th and 13th.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

fn proc_comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
}

fn proc_cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .unwrap_or_default()
}

impl Drop for LocalWorker {
    fn drop(&mut self) {
        stop_server(&mut self.child);
    }
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers of api_errors, concurrency, cli_lifecycle and bench-updates.
// ---------------------------------------------------------------------------------------------

/// Sends a request with exactly `headers` (no signing: the caller crafts them) and returns the
/// status and the JSON body (`Value::Null` when the body is not JSON).
pub fn send_raw(
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(u16, serde_json::Value), String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let reply = incidentctl::send_with_headers(&agent, base_url, method, path, headers, body)?;
    Ok((reply.status, reply.body))
}

/// Creates an incident for the client's tenant and returns its id (panics unless 201).
pub fn create_incident(client: &Client, prompt: &str) -> String {
    let reply = client
        .post(
            incidentctl::INCIDENTS_PATH,
            &serde_json::json!({ "prompt": prompt }),
        )
        .expect("create request");
    assert_eq!(reply.status, 201, "create {prompt:?}: {:?}", reply.body);
    reply.body["incident"]["id"]
        .as_str()
        .expect("an incident id")
        .to_owned()
}

/// The tenant's whole list (`GET /dashboard/incidents`, every page) as summaries.
pub fn list_summaries(client: &Client) -> Vec<serde_json::Value> {
    let query = incidentd_wire::list::ListQuery {
        limit: incidentd_wire::list::MAX_LIMIT,
        ..Default::default()
    };
    let listed = incidentctl::list::fetch(client, &query, true).expect("list request");
    listed
        .incidents
        .iter()
        .map(|summary| serde_json::to_value(summary).expect("a summary serializes"))
        .collect()
}

/// The `p` quantile (0.0..=1.0) of ascending `sorted` samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The `incidentctl` binary, built once per test process (outside any worker's timeouts).
pub fn incidentctl_binary() -> &'static PathBuf {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "incidentctl",
                "--bin",
                "incidentctl",
            ])
            .current_dir(repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p incidentctl failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        let binary = target
            .join("debug")
            .join(format!("incidentctl{}", std::env::consts::EXE_SUFFIX));
        assert!(
            binary.exists(),
            "{} missing after the build",
            binary.display()
        );
        binary
    })
}
