//! `incidentctl`: drive incidentd from a terminal.
//!
//! Out of the box it talks to `scripts/run` (http://127.0.0.1:8787, demo tenant, secret read
//! from ./.dev.vars); flags or `INCIDENTD_*` variables point it elsewhere.

use clap::{Parser, Subcommand};
use incidentctl::{dev_var, Client, Credentials, Reply};
use serde_json::{json, Value};
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
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Declare an incident.
    Create {
        /// What is happening.
        prompt: String,
        #[arg(long)]
        title: Option<String>,
        /// low, medium or high.
        #[arg(long)]
        severity: Option<String>,
    },
    /// List the tenant's incidents (from the index).
    List,
    /// Show an incident's state and timeline.
    Show { id: String },
    /// Show the status of an incident's IncidentWorkflow instance.
    Workflow { id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let reply = match &cli.command {
        Command::Create {
            prompt,
            title,
            severity,
        } => {
            let mut body = json!({ "prompt": prompt });
            if let Some(title) = title {
                body["title"] = json!(title);
            }
            if let Some(severity) = severity {
                body["severity"] = json!(severity);
            }
            client.post("/dashboard/incidents", &body)
        }
        Command::List => client.get("/dashboard/incidents"),
        Command::Show { id } => client.get(&format!("/dashboard/incidents/{id}")),
        Command::Workflow { id } => client.get(&format!("/dashboard/incidents/{id}/workflow")),
    };
    match reply {
        Ok(reply) if reply.is_success() => {
            print_reply(&cli, &reply);
            ExitCode::SUCCESS
        }
        Ok(reply) => {
            let error = &reply.body["error"];
            eprintln!(
                "incidentctl: {} {}: {}",
                reply.status,
                error["code"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or("")
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("incidentctl: {e}");
            ExitCode::FAILURE
        }
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

fn print_reply(cli: &Cli, reply: &Reply) {
    let body = &reply.body;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(body).unwrap_or_default());
        return;
    }
    match &cli.command {
        Command::Create { .. } => {
            let incident = &body["incident"];
            println!("{}", text(&incident["id"]));
            eprintln!(
                "declared \"{}\" ({}, {})",
                text(&incident["title"]),
                text(&incident["severity"]),
                text(&incident["status"])
            );
        }
        Command::List => {
            let incidents = body["incidents"].as_array().cloned().unwrap_or_default();
            if incidents.is_empty() {
                println!("no incidents");
            }
            for i in incidents {
                println!(
                    "{}  {:<10} {:<6}  {}",
                    text(&i["id"]),
                    text(&i["status"]),
                    text(&i["severity"]),
                    text(&i["title"])
                );
            }
        }
        Command::Show { .. } => {
            let i = &body["incident"];
            println!(
                "{}\n  id        {}\n  status    {}\n  severity  {}\n  assignee  {}",
                text(&i["title"]),
                text(&i["id"]),
                text(&i["status"]),
                text(&i["severity"]),
                text(&i["assignee"])
            );
            println!("timeline:");
            for e in body["timeline"].as_array().cloned().unwrap_or_default() {
                let delivery = if e["dead_lettered"].as_bool() == Some(true) {
                    "dead-lettered"
                } else if e["published_at"].is_null() {
                    "pending"
                } else {
                    "delivered"
                };
                println!(
                    "  #{:<4} {:<18} {:<13} {}",
                    e["event_id"],
                    text(&e["event_type"]),
                    delivery,
                    e["data"]
                );
            }
        }
        Command::Workflow { .. } => {
            println!(
                "{}  {}",
                text(&body["instance_id"]),
                text(&body["status"]["status"])
            );
        }
    }
}
