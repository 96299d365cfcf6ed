//! The `incidentctl` binary against a local worker, through a whole incident lifecycle:
//! create → severity high → message → status mitigating → affection create → affection update
//! → status resolved, each command's exit code and output checked; then `show` lists the events
//! in order, the incident ends archived (its Durable Object finalised), and `list` shows it.

use incidentd_e2e::{incidentctl_binary, poll, LocalWorker, TEST_SECRET};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Builds the `incidentctl` binary once (the e2e package only links its library) and returns
/// its path.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

struct Cli {
    url: String,
    /// An empty working directory: no `.dev.vars` to fall back on.
    dir: PathBuf,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(incidentctl_binary())
            .args([
                "--url",
                &self.url,
                "--secret",
                TEST_SECRET,
                "--client",
                "demo",
            ])
            .args(args)
            .current_dir(&self.dir)
            .env_remove("INCIDENTD_URL")
            .env_remove("INCIDENTD_CLIENT")
            .env_remove("INCIDENTD_USER")
            .env_remove("INCIDENTD_SECRET")
            .output()
            .expect("incidentctl runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed and print exactly `expected` on stdout.
    fn ok(&self, args: &[&str], expected: &str) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "incidentctl {args:?}:\n{run}");
        assert_eq!(
            run.stdout.trim_end(),
            expected,
            "incidentctl {args:?}:\n{run}"
        );
        run
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        assert_eq!(run.code, Some(0), "incidentctl {all:?}:\n{run}");
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("incidentctl {all:?}: not JSON ({e}):\n{run}"))
    }
}

#[test]
fn incidentctl_drives_an_incident_through_its_lifecycle() {
    incidentctl_binary(); // build before the worker starts, outside its timeouts
    let worker = LocalWorker::start("cli");
    let dir = worker.state_dir.join("cli-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let cli = Cli {
        url: worker.base_url(),
        dir,
    };

    // create: the id alone on stdout, the human line on stderr.
    let created = cli.run(&[
        "create",
        "Checkout is failing\nsince 10:02",
        "--severity",
        "low",
    ]);
    assert_eq!(created.code, Some(0), "create:\n{created}");
    let id = created.stdout.trim().to_owned();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "create printed {:?}:\n{created}",
        created.stdout
    );
    assert!(
        created
            .stderr
            .contains("declared \"Checkout is failing\" (low, open)"),
        "create:\n{created}"
    );

    // Triage records its note (no model here) as event 2; wait for it so numbers are fixed.
    poll(Duration::from_secs(30), || {
        let shown = cli.json(&["show", &id]);
        let noted = shown["timeline"]
            .as_array()?
            .iter()
            .any(|e| e["actor"]["kind"] == "triage");
        noted.then_some(())
    })
    .expect("triage's note");
    cli.ok(&["severity", &id, "high"], "severity → high (event #3)");
    cli.ok(
        &[
            "message",
            &id,
            "Rolled back the 10:00 deploy",
            "--message-id",
            "cli-e2e-1",
        ],
        "message cli-e2e-1 added (event #4)",
    );
    // The same message id again: the original event, nothing new.
    cli.ok(
        &[
            "message",
            &id,
            "Rolled back the 10:00 deploy",
            "--message-id",
            "cli-e2e-1",
        ],
        "message cli-e2e-1 added: duplicate, already recorded as event #4",
    );
    // Setting the current severity again changes nothing.
    cli.ok(&["severity", &id, "high"], "severity → high: no change");
    cli.ok(
        &["status", &id, "mitigating", "-m", "error rate falling"],
        "status → mitigating (event #5)",
    );
    // A refused change: exit code 1, the status and code on stderr, nothing on stdout.
    let refused = cli.run(&["status", &id, "mitigating"]);
    assert_eq!(refused.code, Some(1), "status mitigating twice:\n{refused}");
    assert!(refused.stdout.is_empty(), "{refused}");
    assert!(
        refused
            .stderr
            .starts_with("incidentctl: 409 INVALID_TRANSITION"),
        "{refused}"
    );
    // An argument clap refuses never reaches the server: exit code 2.
    let typo = cli.run(&["severity", &id, "hgih"]);
    assert_eq!(typo.code, Some(2), "{typo}");
    cli.ok(
        &[
            "affection",
            &id,
            "create",
            "--title",
            "Degraded checkout",
            "--service",
            "api",
            "-m",
            "We are looking into failed checkouts",
        ],
        "affection created (event #6)",
    );
    cli.ok(
        &[
            "affection",
            &id,
            "update",
            "-m",
            "A fix is rolling out",
            "--status",
            "mitigating",
        ],
        "affection updated, → mitigating (event #7)",
    );
    let workflow = cli.run(&["workflow", &id]);
    assert_eq!(workflow.code, Some(0), "workflow:\n{workflow}");
    assert!(
        workflow.stdout.starts_with(&format!("incident-{id}  ")),
        "workflow:\n{workflow}"
    );
    cli.ok(
        &["status", &id, "resolved", "-m", "all clear"],
        "status → resolved (event #8)",
    );

    // show: the header, then the seven events in order with their summaries. (Right after
    // resolving, the object may already have archived the incident: show reads either.)
    let shown = cli.run(&["show", &id]);
    assert_eq!(shown.code, Some(0), "show:\n{shown}");
    let lines: Vec<&str> = shown.stdout.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"Checkout is failing"),
        "show:\n{shown}"
    );
    for expected in [
        format!("  id        {id}"),
        "  status    resolved".to_owned(),
        "  severity  high".to_owned(),
        "  affection \"Degraded checkout\" mitigating [api:partial]".to_owned(),
        "timeline:".to_owned(),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "show lacks {expected:?}:\n{shown}"
        );
    }
    let events: Vec<&str> = lines
        .iter()
        .copied()
        .skip_while(|l| *l != "timeline:")
        .skip(1)
        .collect();
    let expected_events = [
        (
            "#1",
            "INCIDENT_CREATED",
            "\"Checkout is failing\" (low) by demo-user",
        ),
        // Triage's note (no model here); its summary is checked below.
        ("#2", "TRIAGE_NOTE", ""),
        ("#3", "SEVERITY_UPDATE", "→ high"),
        ("#4", "MESSAGE_ADDED", "Rolled back the 10:00 deploy"),
        (
            "#5",
            "STATUS_UPDATE",
            "→ mitigating: \"error rate falling\"",
        ),
        (
            "#6",
            "AFFECTION_UPDATE",
            "created \"Degraded checkout\" [api:partial]: \"We are looking into failed checkouts\"",
        ),
        (
            "#7",
            "AFFECTION_UPDATE",
            "→ mitigating: \"A fix is rolling out\"",
        ),
        ("#8", "STATUS_UPDATE", "→ resolved: \"all clear\""),
    ];
    assert_eq!(
        events.len(),
        expected_events.len(),
        "show: timeline lines:\n{shown}"
    );
    assert!(
        events
            .get(1)
            .is_some_and(|l| l.contains("Triage did not change")),
        "show: triage's note:\n{shown}"
    );
    for (line, (event_id, event_type, summary)) in events.iter().zip(expected_events) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (fields.first().copied(), fields.get(1).copied()),
            (Some(event_id), Some(event_type)),
            "show: {line:?}:\n{shown}"
        );
        assert!(
            line.ends_with(summary),
            "show: {line:?} should end with {summary:?}:\n{shown}"
        );
    }

    // Eventually the object finalises: archived in D1, served from there.
    let archived = poll(Duration::from_secs(20), || {
        let body = cli.json(&["show", &id]);
        (body["archived"] == true).then_some(body)
    })
    .unwrap_or_else(|| {
        panic!(
            "the resolved incident was not archived within 20 s: {}\nlog:\n{}",
            cli.json(&["show", &id]),
            worker.log()
        )
    });
    assert_eq!(archived["incident"]["status"], "resolved");
    assert_eq!(
        archived["timeline"].as_array().map(Vec::len),
        Some(expected_events.len()),
        "{archived}"
    );
    // show still renders it, resolved, with the whole timeline.
    let shown_archived = cli.run(&["show", &id]);
    assert_eq!(shown_archived.code, Some(0), "{shown_archived}");
    assert!(
        shown_archived.stdout.contains("  status    resolved")
            && shown_archived.stdout.contains("→ resolved: \"all clear\""),
        "{shown_archived}"
    );

    // Its dead letters (none) and its last workflow instance stay readable after archival.
    let dead = cli.json(&["dead-letters", &id]);
    assert_eq!(dead["dead_letters"], serde_json::json!([]), "{dead}");
    assert_eq!(dead["archived"], true, "{dead}");
    let workflow = cli.json(&["workflow", &id]);
    assert_eq!(
        workflow["instance_id"],
        format!("incident-{id}"),
        "{workflow}"
    );
    assert_eq!(workflow["archived"], true, "{workflow}");
    assert_eq!(workflow["status"]["status"], "complete", "{workflow}");
    let shown_workflow = cli.run(&["workflow", &id]);
    assert_eq!(shown_workflow.code, Some(0), "{shown_workflow}");
    assert!(
        shown_workflow.stdout.contains("(archived)"),
        "{shown_workflow}"
    );

    // The analysis follows the archive: measures only, since this worker has no model.
    let analysis = poll(Duration::from_secs(30), || {
        let run = cli.run(&["analysis", &id]);
        (run.code == Some(0)).then_some(run)
    })
    .unwrap_or_else(|| panic!("no analysis within 30 s: {}", cli.run(&["analysis", &id])));
    assert!(
        analysis.stdout.contains("status changes        2")
            && analysis
                .stdout
                .contains("no review: no language model is configured"),
        "analysis:\n{analysis}"
    );

    // list: the index row, eventually resolved and high.
    let listed = poll(Duration::from_secs(20), || {
        let run = cli.run(&["list"]);
        assert_eq!(run.code, Some(0), "list:\n{run}");
        run.stdout
            .lines()
            .find(|l| l.starts_with(&id))
            .filter(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                fields.get(1) == Some(&"resolved") && fields.get(2) == Some(&"high")
            })
            .map(str::to_owned)
    });
    let line = listed.unwrap_or_else(|| {
        panic!(
            "list never showed {id} resolved and high:\n{}",
            cli.run(&["list"])
        )
    });
    assert!(line.ends_with("Checkout is failing"), "list line {line:?}");
}
