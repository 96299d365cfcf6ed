//! `incidentctl`: drive incidentd from a terminal.
//!
//! Out of the box it talks to `scripts/run` (http://127.0.0.1:8787, demo tenant, secret read
//! from ./.dev.vars); flags or `INCIDENTD_*` variables point it elsewhere.

use clap::{ArgGroup, Parser, Subcommand};
use incidentctl::admin;
use incidentctl::render::incident::{declared_line, next_page_line, render_incident, render_list};
use incidentctl::render::outcomes::{
    change_line, dismissed_line, failure_line, render_workflow, replayed_line, retried_line,
    slack_connected_line,
};
use incidentctl::render::timeline::{render_dead_letters, render_failed_effects};
use incidentctl::replies::{
    Applied, DeadLetters, Declared, DismissedEffect, Failed, FailedEffects, Listed, Replayed,
    RetriedEffect, Shown, Workflow,
};
use incidentctl::requests::{self, default_message_id, ApiRequest};
use incidentctl::{args, dev_var, now_millis, send_as_operator, slack, Client, Credentials, Reply};
use incidentd_core::model::{AffectedService, AffectionStatus};
use incidentd_core::{Severity, Status};
use incidentd_wire::list::{self, ListFilters, ListQuery};
use incidentd_wire::slack_install::{Connected, InstallationSummary};
use std::path::Path;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "incidentctl",
    version,
    about = "Command-line client of the incidentd dashboard API"
)]
struct Cli {
    /// Base URL of incidentd.
    #[arg(long, env = "INCIDENTD_URL", default_value = "http://127.0.0.1:8787")]
    url: String,
    /// Tenant (client) id to act as.
    #[arg(long, env = "INCIDENTD_CLIENT", default_value = "demo")]
    client: String,
    /// User id to act as.
    #[arg(long, env = "INCIDENTD_USER", default_value = "demo-user")]
    user: String,
    /// Signing secret; defaults to DASHBOARD_SIGNING_SECRET from ./.dev.vars.
    #[arg(long, env = "INCIDENTD_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Print raw JSON replies.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: TopLevel,
}

#[derive(Subcommand)]
enum TopLevel {
    #[command(flatten)]
    Api(Command),
    /// Act as Slack for a person in the workspace (mention, message, slash command, severity
    /// select), signed with Slack's signing secret: try Slack locally with fake-slack.
    Slack {
        /// Slack's signing secret; defaults to SLACK_SIGNING_SECRET from ./.dev.vars.
        #[arg(long, env = "INCIDENTD_SLACK_SIGNING_SECRET", hide_env_values = true)]
        signing_secret: Option<String>,
        /// fake-slack's API URL, where mentions and messages are written first so the bot
        /// can react and answer in their threads; defaults to SLACK_API_URL from ./.dev.vars.
        #[arg(long, env = "INCIDENTD_SLACK_API_URL")]
        slack_api_url: Option<String>,
        #[command(subcommand)]
        action: slack::SlackAction,
    },
}

/// The dashboard and operator commands: each one API call.
#[derive(Subcommand)]
enum Command {
    /// Declare an incident; prints its id (only the id) on stdout.
    Create {
        /// What is happening.
        prompt: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, value_parser = args::severity())]
        severity: Option<Severity>,
        /// Declaring again with the same key answers the incident declared the first time.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// List the tenant's incidents (from the index), newest first, a page at a time.
    List {
        /// Only incidents in this status; repeat for several.
        #[arg(long, value_parser = args::status())]
        status: Vec<Status>,
        /// Only incidents of this severity; repeat for several.
        #[arg(long, value_parser = args::severity())]
        severity: Vec<Severity>,
        /// Only incidents whose status-page affection names this service id.
        #[arg(long)]
        service: Option<String>,
        /// Only incidents declared at or after this time (unix ms or RFC 3339).
        #[arg(long, value_parser = args::parse_time_ms)]
        since: Option<i64>,
        /// Only incidents declared before this time (unix ms or RFC 3339).
        #[arg(long, value_parser = args::parse_time_ms)]
        until: Option<i64>,
        /// Incidents per page (1 to 200; the server's default is 50).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
        limit: Option<u32>,
        /// Start after the page that returned this cursor (same filters).
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Follow the cursors: every page, not only the first.
        #[arg(long)]
        all: bool,
    },
    /// Show an incident's state and timeline.
    Show { id: String },
    /// Show the status of an incident's IncidentWorkflow instance.
    Workflow { id: String },
    /// Set an incident's severity.
    Severity {
        id: String,
        #[arg(value_parser = args::severity())]
        severity: Severity,
    },
    /// Assign an incident to someone, or clear its assignee with --clear.
    #[command(
        group(ArgGroup::new("who").required(true).args(["assignee", "clear"])),
        override_usage = "incidentctl assign <ID> <ASSIGNEE>\n       incidentctl assign <ID> --clear"
    )]
    Assign {
        id: String,
        /// Who takes the incident.
        assignee: Option<String>,
        /// Leave the incident unassigned.
        #[arg(long)]
        clear: bool,
    },
    /// Move an incident to mitigating, resolved or declined.
    Status {
        id: String,
        #[arg(value_parser = args::target_status())]
        status: Status,
        #[arg(long, short, default_value = "")]
        message: String,
    },
    /// Add a message to an incident's timeline.
    Message {
        id: String,
        text: String,
        /// Deduplication key; defaults to cli-<unix millis>-<pid>. Reuse it to retry safely.
        #[arg(long)]
        message_id: Option<String>,
    },
    /// Create or update the incident's public status-page affection.
    Affection {
        id: String,
        #[command(subcommand)]
        action: AffectionAction,
    },
    /// Ask the incident agent (IncidentPromptWorkflow answers in the timeline).
    Ask {
        id: String,
        prompt: String,
        /// Deduplication key; defaults to cli-<unix millis>-<pid>. Reuse it to retry safely.
        #[arg(long)]
        prompt_id: Option<String>,
    },
    /// Show the post-incident analysis (once the incident is closed and analysed).
    Analysis { id: String },
    /// List an incident's dead-lettered events.
    DeadLetters { id: String },
    /// Put a dead-lettered event back in the delivery queue.
    Replay { id: String, event_id: u64 },
    /// List an incident's effects (Slack, webhook, index...) that ran out of retries.
    FailedEffects { id: String },
    /// Run one failed effect of one event again: its held lane goes on once it succeeds.
    RetryEffect {
        id: String,
        event_id: u64,
        /// The effect's name, as `failed-effects` lists it (`slack`, `webhook`...).
        effect: String,
    },
    /// Give up on one failed effect of one event (recorded in the timeline): its held lane goes
    /// on without it.
    DismissEffect {
        id: String,
        event_id: u64,
        /// The effect's name, as `failed-effects` lists it (`slack`, `webhook`...).
        effect: String,
    },
    /// Operator commands (`/admin/*`), authenticated with ADMIN_TOKEN instead of the tenant's
    /// signing secret.
    Admin {
        /// The operator token; defaults to ADMIN_TOKEN from ./.dev.vars.
        #[arg(long, env = "INCIDENTD_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        #[command(subcommand)]
        area: AdminArea,
    },
}

#[derive(Subcommand)]
enum AdminArea {
    /// Slack workspaces.
    Slack {
        #[command(subcommand)]
        action: admin::SlackAdmin,
    },
    /// Tenants: create, show, rotate the signing secret, the status page.
    Tenant {
        #[command(subcommand)]
        action: admin::TenantAdmin,
    },
    /// A tenant's services (what the status page may name).
    Service {
        #[command(subcommand)]
        action: admin::ServiceAdmin,
    },
    /// On-call rotations and their overrides.
    Rotation {
        #[command(subcommand)]
        action: admin::RotationAdmin,
    },
    /// Entry points: whom a declared incident pages.
    EntryPoint {
        #[command(subcommand)]
        action: admin::EntryPointAdmin,
    },
}

#[derive(Subcommand)]
enum AffectionAction {
    /// Create the affection (once per incident).
    Create {
        #[arg(long)]
        title: String,
        /// An affected service as ID[:partial|major] (impact partial by default); repeatable.
        #[arg(long = "service", value_name = "ID[:IMPACT]", required = true, value_parser = args::parse_service)]
        services: Vec<AffectedService>,
        #[arg(long, short)]
        message: String,
    },
    /// Post an update to the affection, optionally moving its status forward.
    Update {
        #[arg(long, short)]
        message: String,
        #[arg(long, value_parser = args::affection_status())]
        status: Option<AffectionStatus>,
        /// Set a service's impact as ID[:partial|major] (adds it if not affected yet; the
        /// others keep theirs); repeatable.
        #[arg(long = "service", value_name = "ID[:IMPACT]", value_parser = args::parse_service)]
        services: Vec<AffectedService>,
    },
}

/// What a command sends and, for a change, what to say when it succeeds.
struct Call {
    request: ApiRequest,
    /// The human line of a change (`change_line`), when the command is one.
    change: Option<String>,
}

impl Call {
    fn read(request: ApiRequest) -> Self {
        Call {
            request,
            change: None,
        }
    }

    fn change(request: ApiRequest, what: String) -> Self {
        Call {
            request,
            change: Some(what),
        }
    }
}

fn call_for(command: &Command) -> Call {
    match command {
        Command::Create {
            prompt,
            title,
            severity,
            idempotency_key,
        } => Call::read(requests::create_incident(
            prompt,
            title.as_deref(),
            *severity,
            idempotency_key.as_deref(),
        )),
        Command::List { .. } => Call::read(requests::list_incidents(&list_query(command))),
        Command::Show { id } => Call::read(requests::show_incident(id)),
        Command::Workflow { id } => Call::read(requests::workflow_status(id)),
        Command::Severity { id, severity } => Call::change(
            requests::set_severity(id, *severity),
            format!("severity → {}", severity.as_str()),
        ),
        Command::Assign { id, assignee, .. } => Call::change(
            requests::set_assignee(id, assignee.as_deref()),
            match assignee {
                Some(who) => format!("assignee → {who}"),
                None => "assignee cleared".to_owned(),
            },
        ),
        Command::Status {
            id,
            status,
            message,
        } => Call::change(
            requests::update_status(id, *status, message),
            format!("status → {}", status.as_str()),
        ),
        Command::Message {
            id,
            text,
            message_id,
        } => {
            let message_id = id_or_default(message_id);
            Call::change(
                requests::add_message(id, text, &message_id),
                format!("message {message_id} added"),
            )
        }
        Command::Ask {
            id,
            prompt,
            prompt_id,
        } => {
            let prompt_id = id_or_default(prompt_id);
            Call::change(
                requests::add_prompt(id, prompt, &prompt_id),
                format!("prompt {prompt_id} sent to the incident agent"),
            )
        }
        Command::Analysis { id } => Call::read(requests::analysis(id)),
        Command::Affection { id, action } => match action {
            AffectionAction::Create {
                title,
                services,
                message,
            } => Call::change(
                requests::create_affection(id, title, services, message),
                "affection created".to_owned(),
            ),
            AffectionAction::Update {
                message,
                status,
                services,
            } => Call::change(
                requests::update_affection(id, message, *status, services),
                match status {
                    Some(status) => format!("affection updated, → {}", status.as_str()),
                    None => "affection updated".to_owned(),
                },
            ),
        },
        Command::DeadLetters { id } => Call::read(requests::dead_letters(id)),
        Command::Replay { id, event_id } => Call::read(requests::replay(id, *event_id)),
        Command::FailedEffects { id } => Call::read(requests::failed_effects(id)),
        Command::RetryEffect {
            id,
            event_id,
            effect,
        } => Call::read(requests::retry_effect(id, *event_id, effect)),
        Command::DismissEffect {
            id,
            event_id,
            effect,
        } => Call::read(requests::dismiss_effect(id, *event_id, effect)),
        Command::Admin { area, .. } => Call::read(match area {
            AdminArea::Slack { action } => admin::slack(action),
            AdminArea::Tenant { action } => admin::tenant(action),
            AdminArea::Service { action } => admin::service(action),
            AdminArea::Rotation { action } => admin::rotation(action),
            AdminArea::EntryPoint { action } => admin::entry_point(action),
        }),
    }
}

/// The list request the `list` options describe (the default list for any other command).
fn list_query(command: &Command) -> ListQuery {
    let Command::List {
        status,
        severity,
        service,
        since,
        until,
        limit,
        cursor,
        ..
    } = command
    else {
        return ListQuery::default();
    };
    ListQuery {
        filters: ListFilters {
            statuses: status.clone(),
            severities: severity.clone(),
            service: service.clone(),
            created_after: *since,
            created_before: *until,
        },
        limit: limit.unwrap_or(list::DEFAULT_LIMIT),
        cursor: cursor.clone(),
    }
}

/// A deduplication id given on the command line, or one naming this moment and process.
fn id_or_default(given: &Option<String>) -> String {
    given
        .clone()
        .unwrap_or_else(|| default_message_id(now_millis(), std::process::id()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        TopLevel::Api(command) => run_api(&cli, command),
        TopLevel::Slack {
            signing_secret,
            slack_api_url,
            action,
        } => {
            let dev_vars = |key| dev_var(Path::new(".dev.vars"), key);
            let slack_api_url = slack_api_url.clone().or_else(|| dev_vars("SLACK_API_URL"));
            match signing_secret
                .clone()
                .or_else(|| dev_vars("SLACK_SIGNING_SECRET"))
            {
                Some(secret) => run_slack(cli.json, &cli.url, &secret, slack_api_url, action),
                None => {
                    eprintln!("incidentctl: no Slack signing secret: pass --signing-secret, set INCIDENTD_SLACK_SIGNING_SECRET, or run from the directory holding .dev.vars (fake-slack prints the line to add)");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Writes `action`'s message at fake-slack when there is one (a failure there is only a
/// warning: the event still goes), signs `action` as Slack and prints what incidentd answered.
fn run_slack(
    json: bool,
    url: &str,
    secret: &str,
    slack_api_url: Option<String>,
    action: &slack::SlackAction,
) -> ExitCode {
    // The ts fake-slack gave the message, else one made up here (no fake, or it refused).
    let ts_at_fake = |written| {
        slack::write_at_fake(slack_api_url.as_deref()?, &written)
            .map_err(|e| eprintln!("incidentctl: {e}; the event goes without it"))
            .ok()
    };
    let ts = action
        .written()
        .and_then(ts_at_fake)
        .unwrap_or_else(slack::ts_now);
    let call = slack::call_for(action, &ts);
    let outcome = slack::send(url, secret, &call.request).and_then(|reply| match json {
        true if reply.is_success() => {
            Ok(serde_json::to_string_pretty(&reply.body).unwrap_or_default())
        }
        _ => slack::outcome(action, &call, &reply),
    });
    match outcome {
        Ok(lines) => {
            println!("{lines}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("incidentctl: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sends `command`'s one API call: operator calls with the admin token, the rest signed for
/// the tenant.
fn run_api(cli: &Cli, command: &Command) -> ExitCode {
    if let Command::Admin { admin_token, .. } = command {
        let Some(token) = admin_token
            .clone()
            .or_else(|| dev_var(Path::new(".dev.vars"), "ADMIN_TOKEN"))
        else {
            eprintln!("incidentctl: no operator token: pass --admin-token, set INCIDENTD_ADMIN_TOKEN, or run from the directory holding .dev.vars");
            return ExitCode::from(2);
        };
        let call = call_for(command);
        let request = &call.request;
        if let Command::Admin {
            area:
                AdminArea::Slack {
                    action: admin::SlackAdmin::InstallLink { .. },
                },
            ..
        } = command
        {
            return match admin::install_link(&cli.url, &token, request) {
                Ok(link) => {
                    println!("{link}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("incidentctl: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        let outcome = send_as_operator(
            &cli.url,
            &token,
            request.method,
            &request.path,
            &request.body,
        );
        return finish(cli, command, &call, outcome);
    }
    let Some(secret) = cli
        .secret
        .clone()
        .or_else(|| dev_var(Path::new(".dev.vars"), "DASHBOARD_SIGNING_SECRET"))
    else {
        eprintln!("incidentctl: no signing secret: pass --secret, set INCIDENTD_SECRET, or run from the directory holding .dev.vars");
        return ExitCode::from(2);
    };
    let client = Client::new(Credentials {
        base_url: cli.url.clone(),
        client_id: cli.client.clone(),
        user_id: cli.user.clone(),
        secret,
    });
    let call = call_for(command);
    if let Command::List { all: true, .. } = command {
        return match incidentctl::list::fetch(&client, &list_query(command), true) {
            Ok(listed) => {
                let reply = Reply {
                    status: 200,
                    body: serde_json::to_value(&listed).unwrap_or_default(),
                };
                finish(cli, command, &call, Ok(reply))
            }
            Err(e) => {
                eprintln!("incidentctl: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let request = &call.request;
    let outcome = client.send(request.method, &request.path, &request.body);
    finish(cli, command, &call, outcome)
}

/// Prints the reply of a sent call, or why it failed.
fn finish(cli: &Cli, command: &Command, call: &Call, outcome: Result<Reply, String>) -> ExitCode {
    let outcome = outcome.and_then(|reply| {
        if !reply.is_success() {
            let failed: Option<Failed> = reply.decode().ok();
            return Err(failure_line(reply.status, failed.as_ref()));
        }
        print_reply(cli, command, call, &reply)
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("incidentctl: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a successful reply, decoded into its type; a reply that does not decode is an error.
fn print_reply(cli: &Cli, command: &Command, call: &Call, reply: &Reply) -> Result<(), String> {
    if cli.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reply.body).unwrap_or_default()
        );
        return Ok(());
    }
    if let Some(what) = &call.change {
        println!("{}", change_line(what, &reply.decode::<Applied>()?));
        return Ok(());
    }
    match command {
        Command::Create { .. } => {
            let declared: Declared = reply.decode()?;
            // The id alone on stdout, for scripts; the human line on stderr.
            println!("{}", declared.incident.id);
            eprintln!("{}", declared_line(&declared.incident, reply.status == 201));
        }
        Command::List { .. } => {
            let listed: Listed = reply.decode()?;
            print!("{}", render_list(&listed));
            if let Some(line) = next_page_line(&listed) {
                eprintln!("{line}");
            }
        }
        Command::Show { .. } => {
            let shown: Shown = reply.decode()?;
            print!("{}", render_incident(&shown.view, shown.archived));
        }
        Command::Workflow { .. } => print!(
            "{}",
            render_workflow(&reply.decode::<Workflow>()?, now_millis() as i64)
        ),
        Command::DeadLetters { .. } => {
            print!("{}", render_dead_letters(&reply.decode::<DeadLetters>()?));
        }
        Command::Replay { .. } => println!("{}", replayed_line(&reply.decode::<Replayed>()?)),
        Command::FailedEffects { .. } => {
            print!(
                "{}",
                render_failed_effects(&reply.decode::<FailedEffects>()?)
            );
        }
        Command::RetryEffect { .. } => {
            println!("{}", retried_line(&reply.decode::<RetriedEffect>()?));
        }
        Command::DismissEffect { .. } => {
            println!("{}", dismissed_line(&reply.decode::<DismissedEffect>()?));
        }
        Command::Analysis { .. } => print!(
            "{}",
            incidentctl::render::analysis::render_analysis(&reply.decode()?)
        ),
        Command::Admin {
            area: AdminArea::Slack { action },
            ..
        } => match action {
            admin::SlackAdmin::Connect { .. } => {
                #[derive(serde::Deserialize)]
                struct Installed {
                    installation: Connected,
                }
                let installed: Installed = reply.decode()?;
                println!("{}", slack_connected_line(&installed.installation));
            }
            admin::SlackAdmin::List => {
                #[derive(serde::Deserialize)]
                struct Listed {
                    installations: Vec<InstallationSummary>,
                }
                for installation in reply.decode::<Listed>()?.installations {
                    println!("{}", admin::installation_line(&installation));
                }
            }
            admin::SlackAdmin::Show { .. } | admin::SlackAdmin::Settings { .. } => {
                #[derive(serde::Deserialize)]
                struct One {
                    installation: InstallationSummary,
                }
                let one: One = reply.decode()?;
                println!("{}", admin::installation_line(&one.installation));
            }
            // Answered before any reply is decoded (`run_api`).
            admin::SlackAdmin::InstallLink { .. } => {}
        },
        // Configuration replies are shown as they are: the server's JSON, indented.
        Command::Admin { .. } => println!(
            "{}",
            serde_json::to_string_pretty(&reply.body).unwrap_or_default()
        ),
        // Changes print their `change` line above.
        Command::Severity { .. }
        | Command::Assign { .. }
        | Command::Status { .. }
        | Command::Message { .. }
        | Command::Ask { .. }
        | Command::Affection { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;
    use serde_json::json;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("incidentctl").chain(args.iter().copied()))
    }

    fn call(args: &[&str]) -> Call {
        match parse(args).expect("parses").command {
            TopLevel::Api(command) => call_for(&command),
            TopLevel::Slack { .. } => panic!("{args:?} is a slack command"),
        }
    }

    /// The JSON a command sends (`null` for none).
    fn body(call: &Call) -> serde_json::Value {
        serde_json::from_slice(&call.request.body).unwrap_or(serde_json::Value::Null)
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn typos_in_enum_arguments_are_clap_errors() {
        for args in [
            &["severity", "i", "hgih"][..],
            &["status", "i", "mitgating"],
            &["status", "i", "open"],
            &["create", "p", "--severity", "critical"],
            &["affection", "i", "update", "-m", "x", "--status", "done"],
            &[
                "affection",
                "i",
                "create",
                "--title",
                "t",
                "--service",
                "api:severe",
                "-m",
                "x",
            ],
            &["replay", "i", "not-a-number"],
        ] {
            let error = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert!(
                matches!(
                    error.kind(),
                    ErrorKind::InvalidValue | ErrorKind::ValueValidation
                ),
                "{args:?}: {:?}",
                error.kind()
            );
        }
        let bad_impact = parse(&[
            "affection",
            "i",
            "create",
            "--title",
            "t",
            "--service",
            "api:severe",
            "-m",
            "x",
        ])
        .err()
        .expect("a bad impact is rejected")
        .to_string();
        assert!(bad_impact.contains("bad impact \"severe\""), "{bad_impact}");
    }

    #[test]
    fn slack_commands_take_their_secret_and_fake_url_before_the_action() {
        let parsed = parse(&[
            "slack",
            "--signing-secret",
            "s",
            "--slack-api-url",
            "http://127.0.0.1:1/api",
            "select-severity",
            "i",
            "high",
        ])
        .unwrap();
        let TopLevel::Slack {
            signing_secret,
            slack_api_url,
            action,
        } = parsed.command
        else {
            panic!("a slack command");
        };
        assert_eq!(
            (signing_secret.as_deref(), slack_api_url.as_deref()),
            (Some("s"), Some("http://127.0.0.1:1/api"))
        );
        assert!(matches!(
            action,
            slack::SlackAction::SelectSeverity {
                severity: Severity::High,
                ..
            }
        ));
        assert!(
            parse(&["slack", "mention"]).is_err(),
            "a mention needs text"
        );
    }

    #[test]
    fn assign_takes_an_assignee_or_clear_but_not_both() {
        assert!(parse(&["assign", "i"]).is_err());
        assert!(parse(&["assign", "i", "bob", "--clear"]).is_err());
        let clear = call(&["assign", "i", "--clear"]);
        assert_eq!(body(&clear), json!({ "assignee": null }));
        let bob = call(&["assign", "i", "bob"]);
        assert_eq!(bob.request.path, "/dashboard/incidents/i/assignee");
        assert_eq!(body(&bob), json!({ "assignee": "bob" }));
    }

    #[test]
    fn admin_slack_connect_posts_the_installation_with_its_token() {
        let connect = call(&[
            "admin",
            "slack",
            "connect",
            "--tenant",
            "demo",
            "--team",
            "T1",
            "--bot-user",
            "U2",
            "--token",
            "xoxb-3",
        ]);
        assert_eq!(
            (connect.request.method, connect.request.path.as_str()),
            ("POST", "/admin/slack/installations")
        );
        let body = body(&connect);
        assert_eq!(
            (
                &body["tenant"],
                &body["team_id"],
                &body["bot_user_id"],
                &body["bot_token"]
            ),
            (&json!("demo"), &json!("T1"), &json!("U2"), &json!("xoxb-3"))
        );
        let parsed =
            incidentd_adapters::slack::inbound::admin::parse_connect(&connect.request.body)
                .unwrap();
        assert_eq!(
            parsed.validate(),
            Ok(()),
            "what the server parses and accepts"
        );
    }

    #[test]
    fn commands_map_to_the_documented_routes() {
        let create = call(&[
            "create",
            "db down",
            "--severity",
            "high",
            "--idempotency-key",
            "k",
        ]);
        assert_eq!(
            (create.request.method, create.request.path.as_str()),
            ("POST", "/dashboard/incidents")
        );
        assert_eq!(
            body(&create),
            json!({ "prompt": "db down", "title": null, "severity": "high", "idempotency_key": "k" })
        );
        let status = call(&["status", "i", "resolved"]);
        assert_eq!(status.request.path, "/dashboard/incidents/i/status");
        assert_eq!(
            body(&status),
            json!({ "status": "resolved", "message": "" })
        );
        let message = call(&["message", "i", "hello"]);
        assert_eq!(message.request.path, "/dashboard/incidents/i/messages");
        let id = body(&message)["message_id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("cli-"), "{id}");
        let given = call(&["message", "i", "hello", "--message-id", "m-1"]);
        assert_eq!(
            body(&given),
            json!({ "message": "hello", "message_id": "m-1" })
        );
        let affection = call(&[
            "affection",
            "i",
            "create",
            "--title",
            "API",
            "--service",
            "api",
            "--service",
            "db:major",
            "--message",
            "looking",
        ]);
        assert_eq!(affection.request.path, "/dashboard/incidents/i/affection");
        assert_eq!(
            body(&affection)["services"],
            json!([{ "id": "api", "impact": "partial" }, { "id": "db", "impact": "major" }])
        );
        assert!(parse(&["affection", "i", "create", "--title", "t", "-m", "x"]).is_err());
        let update = call(&[
            "affection",
            "i",
            "update",
            "-m",
            "ok",
            "--status",
            "mitigating",
        ]);
        assert_eq!(
            update.request.path,
            "/dashboard/incidents/i/affection/updates"
        );
        assert_eq!(
            body(&update),
            json!({ "message": "ok", "status": "mitigating" })
        );
        let impact = call(&[
            "affection",
            "i",
            "update",
            "-m",
            "db recovering",
            "--service",
            "db:partial",
        ]);
        assert_eq!(
            body(&impact),
            json!({ "message": "db recovering", "status": null,
                    "services": [{ "id": "db", "impact": "partial" }] })
        );
        let letters = call(&["dead-letters", "i"]);
        assert_eq!(
            (letters.request.method, letters.request.path.as_str()),
            ("GET", "/dashboard/incidents/i/dead-letters")
        );
        let replay = call(&["replay", "i", "12"]);
        assert_eq!(
            replay.request.path,
            "/dashboard/incidents/i/dead-letters/12/replay"
        );
        assert_eq!(body(&replay), json!({}));
        assert_eq!(
            call(&["failed-effects", "i"]).request.path,
            "/dashboard/incidents/i/failed-effects"
        );
        let retry = call(&["retry-effect", "i", "3", "slack"]);
        assert_eq!(
            (retry.request.method, retry.request.path.as_str()),
            (
                "POST",
                "/dashboard/incidents/i/failed-effects/3/slack/retry"
            )
        );
        assert_eq!(body(&retry), json!({}));
        let dismiss = call(&["dismiss-effect", "i", "3", "slack"]);
        assert_eq!(
            (dismiss.request.method, dismiss.request.path.as_str()),
            (
                "POST",
                "/dashboard/incidents/i/failed-effects/3/slack/dismiss"
            )
        );
        assert_eq!(body(&dismiss), json!({}));
        assert_eq!(
            call(&["workflow", "i"]).request.path,
            "/dashboard/incidents/i/workflow"
        );
        assert!(parse(&["show", "i", "--json"]).unwrap().json);
    }

    #[test]
    fn list_options_become_the_apis_query() {
        assert_eq!(call(&["list"]).request.path, "/dashboard/incidents");
        let filtered = call(&[
            "list",
            "--status",
            "open",
            "--status",
            "mitigating",
            "--severity",
            "high",
            "--service",
            "api",
            "--since",
            "2026-01-01T00:00:00Z",
            "--until",
            "1767312000000",
            "--limit",
            "10",
            "--cursor",
            "abc",
        ]);
        assert_eq!(
            filtered.request.path,
            "/dashboard/incidents?status=open&status=mitigating&severity=high&service=api\
             &created_after=1767225600000&created_before=1767312000000&limit=10&cursor=abc"
        );
        for bad in [
            &["list", "--status", "closed"][..],
            &["list", "--limit", "0"],
            &["list", "--limit", "201"],
            &["list", "--since", "yesterday"],
            &["list", "--all", "--cursor", "abc"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn changes_announce_themselves_as_the_e2e_test_reads_them() {
        for (args, what) in [
            (&["severity", "i", "high"][..], "severity → high"),
            (&["assign", "i", "bob"], "assignee → bob"),
            (&["assign", "i", "--clear"], "assignee cleared"),
            (
                &["status", "i", "mitigating", "-m", "x"],
                "status → mitigating",
            ),
            (
                &["message", "i", "hi", "--message-id", "cli-e2e-1"],
                "message cli-e2e-1 added",
            ),
            (
                &[
                    "affection",
                    "i",
                    "create",
                    "--title",
                    "t",
                    "--service",
                    "api",
                    "-m",
                    "x",
                ],
                "affection created",
            ),
            (
                &[
                    "affection",
                    "i",
                    "update",
                    "-m",
                    "x",
                    "--status",
                    "mitigating",
                ],
                "affection updated, → mitigating",
            ),
            (
                &["affection", "i", "update", "-m", "x"],
                "affection updated",
            ),
        ] {
            assert_eq!(call(args).change.as_deref(), Some(what), "{args:?}");
        }
        for reads in [&["show", "i"][..], &["list"], &["replay", "i", "1"]] {
            assert_eq!(call(reads).change, None, "{reads:?} is no change");
        }
    }
}
