//! `incidentctl admin …`: the operator's tenant configuration (`/admin/*`, bearer token), built
//! from the wire types the server parses (`incidentd_wire::admin`, `slack_install`), so the CLI
//! sends exactly what the API parses.

use crate::client::{send_with_headers, Reply};
use crate::paths::path_segment;
use crate::render::outcomes::failure_line;
use crate::replies::Failed;
use crate::requests::{self, ApiRequest};
use clap::Subcommand;
use incidentd_wire::admin::{
    AddOverride, CreateTenant, EntryPointKind, PutEntryPoint, PutRotation, PutService,
    PutStatusPage, RotateSecret,
};
use incidentd_wire::secret::Secret;
use incidentd_wire::slack_install::{
    installation_path, ConnectRequest, InstallationState, InstallationSummary, SettingsRequest,
    INSTALLATIONS_PATH, INSTALL_PATH,
};
use std::time::Duration;

#[derive(Subcommand, Debug, Clone)]
pub enum SlackAdmin {
    /// Connect a Slack workspace to a tenant with a bot token (stored encrypted).
    Connect {
        #[arg(long)]
        tenant: String,
        /// The workspace's team id (T…).
        #[arg(long)]
        team: String,
        /// The bot's user id in that workspace (U…).
        #[arg(long)]
        bot_user: String,
        /// The bot token (xoxb-…); prefer the environment variable over the command line.
        #[arg(long, env = "INCIDENTD_SLACK_BOT_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long)]
        enterprise: Option<String>,
        #[arg(long)]
        app: Option<String>,
        /// Comma-separated bot scopes, as Slack granted them.
        #[arg(long, default_value = "")]
        scopes: String,
        #[command(flatten)]
        archive: ArchiveFlags,
        /// The channel id (C…) high-severity incidents are announced in.
        #[arg(long)]
        announcement_channel: Option<String>,
    },
    /// Change a connected workspace's settings (what is not given stays as it is).
    #[command(group(clap::ArgGroup::new("setting").required(true).multiple(true)
        .args(["archive_on_close", "no_archive_on_close", "announcement_channel", "no_announcement_channel"])))]
    Settings {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        archive: ArchiveFlags,
        /// The channel id (C…) high-severity incidents are announced in.
        #[arg(long, conflicts_with = "no_announcement_channel")]
        announcement_channel: Option<String>,
        /// Announce high-severity incidents nowhere but in their own channel.
        #[arg(long)]
        no_announcement_channel: bool,
    },
    /// List the connected workspaces: state (active, or disabled by Slack) and settings.
    List,
    /// One tenant's workspace: state and settings.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Print a link that installs the Slack app for a tenant (OAuth; valid for 10 minutes).
    /// Open it, or hand it to the workspace's admin.
    InstallLink {
        #[arg(long)]
        tenant: String,
    },
}

/// Whether incident channels are archived on close: on unless a workspace opts out.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ArchiveFlags {
    /// Archive each incident's channel once the incident is resolved or declined (the default).
    #[arg(long, conflicts_with = "no_archive_on_close")]
    archive_on_close: bool,
    /// Keep incident channels open after the incident closes.
    #[arg(long)]
    no_archive_on_close: bool,
}

impl ArchiveFlags {
    /// `None` when neither flag is given: the stored setting stays.
    fn setting(&self) -> Option<bool> {
        match (self.archive_on_close, self.no_archive_on_close) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Subcommand, Debug, Clone)]
pub enum TenantAdmin {
    /// Create a tenant.
    Create {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Show a tenant's configuration (never its secrets).
    Show { id: String },
    /// Rotate the tenant's dashboard signing secret; prints the new one (shown only once).
    RotateSecret {
        id: String,
        /// How long the replaced secret stays valid.
        #[arg(long)]
        grace_seconds: Option<u32>,
    },
    /// Set the public status page's slug and title.
    StatusPage {
        id: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        title: String,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum ServiceAdmin {
    /// Create or replace a service.
    Set {
        tenant: String,
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Guidance for the incident agent and triage about this service (owners, runbook
        /// hints; at most 1,000 characters).
        #[arg(long)]
        prompt: Option<String>,
        /// Keep it off the public status page.
        #[arg(long)]
        private: bool,
    },
    Delete {
        tenant: String,
        id: String,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum RotationAdmin {
    /// Create or replace an on-call rotation.
    Set {
        tenant: String,
        id: String,
        /// A member, in rotation order (repeat the flag).
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        #[arg(long)]
        shift_hours: u32,
        /// Local hand-off time, HH:MM.
        #[arg(long)]
        handoff: String,
        /// IANA time zone, e.g. Europe/Berlin.
        #[arg(long)]
        zone: String,
        /// The first hand-off's local date, YYYY-MM-DD.
        #[arg(long)]
        starts_on: String,
    },
    /// Put someone on call instead, from one instant to another (RFC 3339).
    Override {
        tenant: String,
        id: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum EntryPointAdmin {
    /// Create or replace an entry point paging a user or a rotation.
    #[command(group(clap::ArgGroup::new("pages").required(true).args(["user", "rotation"])))]
    Set {
        tenant: String,
        id: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        rotation: Option<String>,
        /// When triage should choose it.
        #[arg(long, default_value = "")]
        prompt: String,
        /// Page it when nothing else matches (exactly one per tenant).
        #[arg(long)]
        fallback: bool,
    },
    Delete {
        tenant: String,
        id: String,
    },
}

pub fn slack(action: &SlackAdmin) -> ApiRequest {
    match action {
        SlackAdmin::Connect {
            tenant,
            team,
            bot_user,
            token,
            enterprise,
            app,
            scopes,
            archive,
            announcement_channel,
        } => requests::slack_connect(&ConnectRequest {
            tenant: tenant.clone(),
            team_id: team.clone(),
            enterprise_id: enterprise.clone(),
            app_id: app.clone(),
            bot_user_id: bot_user.clone(),
            scopes: scopes.clone(),
            bot_token: Secret::new(token.clone()),
            archive_on_close: archive.setting(),
            announcement_channel: announcement_channel.clone(),
        }),
        SlackAdmin::Settings {
            tenant,
            archive,
            announcement_channel,
            no_announcement_channel,
        } => {
            let announcement_channel = match (announcement_channel, no_announcement_channel) {
                (Some(channel), _) => Some(Some(channel.clone())),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let settings = SettingsRequest {
                archive_on_close: archive.setting(),
                announcement_channel,
            };
            ApiRequest {
                method: "PATCH",
                path: installation_path(&path_segment(tenant)),
                body: serde_json::to_vec(&settings).expect("plain struct"),
            }
        }
        SlackAdmin::List => ApiRequest::bodiless("GET", INSTALLATIONS_PATH.to_owned()),
        SlackAdmin::Show { tenant } => {
            ApiRequest::bodiless("GET", installation_path(&path_segment(tenant)))
        }
        SlackAdmin::InstallLink { tenant } => ApiRequest::bodiless(
            "GET",
            format!("{INSTALL_PATH}?tenant={}", path_segment(tenant)),
        ),
    }
}

/// One installation on one line: tenant, workspace, bot, state, settings; for a disabled one,
/// what Slack said and what to do.
pub fn installation_line(i: &InstallationSummary) -> String {
    let settings = format!(
        "archive on close: {}, announcement channel: {}",
        if i.archive_on_close { "yes" } else { "no" },
        i.announcement_channel.as_deref().unwrap_or("none")
    );
    let state = match i.state {
        InstallationState::Active => "active".to_owned(),
        InstallationState::Disabled => format!(
            "DISABLED: {}",
            i.disabled_message.as_deref().unwrap_or("disabled by Slack")
        ),
    };
    format!(
        "{}  workspace {} (bot {})  {settings}  {state}",
        i.tenant, i.team_id, i.bot_user_id
    )
}

/// Sends `GET /slack/install` as the operator without following its redirect (the link is
/// for a browser, maybe someone else's) and returns Slack's authorize link from the reply.
pub fn install_link(
    base_url: &str,
    admin_token: &str,
    request: &ApiRequest,
) -> Result<String, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build();
    let headers = [("authorization".to_owned(), format!("Bearer {admin_token}"))];
    let reply = send_with_headers(
        &agent,
        base_url,
        request.method,
        &request.path,
        &headers,
        &[],
    )?;
    link_of(&reply)
}

fn link_of(reply: &Reply) -> Result<String, String> {
    match (reply.status, reply.body["authorize_url"].as_str()) {
        (302, Some(link)) => Ok(link.to_owned()),
        (status, _) => Err(failure_line(status, reply.decode::<Failed>().ok().as_ref())),
    }
}

fn tenant_path(tenant: &str, rest: &str) -> String {
    format!("/admin/tenants/{}{rest}", path_segment(tenant))
}

pub fn tenant(action: &TenantAdmin) -> ApiRequest {
    match action {
        TenantAdmin::Create { id, name } => ApiRequest::with_body(
            "POST",
            "/admin/tenants".into(),
            &CreateTenant {
                id: id.clone(),
                name: name.clone(),
            },
        ),
        TenantAdmin::Show { id } => ApiRequest::bodiless("GET", tenant_path(id, "")),
        TenantAdmin::RotateSecret { id, grace_seconds } => ApiRequest::with_body(
            "POST",
            tenant_path(id, "/signing-secret/rotate"),
            &RotateSecret {
                grace_seconds: *grace_seconds,
            },
        ),
        TenantAdmin::StatusPage { id, slug, title } => ApiRequest::with_body(
            "PUT",
            tenant_path(id, "/status-page"),
            &PutStatusPage {
                slug: slug.clone(),
                title: title.clone(),
            },
        ),
    }
}

pub fn service(action: &ServiceAdmin) -> ApiRequest {
    match action {
        ServiceAdmin::Set {
            tenant,
            id,
            name,
            description,
            prompt,
            private,
        } => ApiRequest::with_body(
            "PUT",
            tenant_path(tenant, &format!("/services/{}", path_segment(id))),
            &PutService {
                name: name.clone(),
                description: description.clone(),
                prompt: prompt.clone(),
                public: !private,
            },
        ),
        ServiceAdmin::Delete { tenant, id } => ApiRequest::bodiless(
            "DELETE",
            tenant_path(tenant, &format!("/services/{}", path_segment(id))),
        ),
    }
}

pub fn rotation(action: &RotationAdmin) -> ApiRequest {
    match action {
        RotationAdmin::Set {
            tenant,
            id,
            members,
            shift_hours,
            handoff,
            zone,
            starts_on,
        } => ApiRequest::with_body(
            "PUT",
            tenant_path(tenant, &format!("/rotations/{}", path_segment(id))),
            &PutRotation {
                members: members.clone(),
                shift_hours: *shift_hours,
                handoff_time: handoff.clone(),
                time_zone: zone.clone(),
                starts_on: starts_on.clone(),
            },
        ),
        RotationAdmin::Override {
            tenant,
            id,
            user,
            from,
            to,
        } => ApiRequest::with_body(
            "POST",
            tenant_path(
                tenant,
                &format!("/rotations/{}/overrides", path_segment(id)),
            ),
            &AddOverride {
                user: user.clone(),
                from: from.clone(),
                to: to.clone(),
            },
        ),
    }
}

pub fn entry_point(action: &EntryPointAdmin) -> ApiRequest {
    match action {
        EntryPointAdmin::Set {
            tenant,
            id,
            user,
            rotation,
            prompt,
            fallback,
        } => ApiRequest::with_body(
            "PUT",
            tenant_path(tenant, &format!("/entry-points/{}", path_segment(id))),
            &PutEntryPoint {
                kind: if rotation.is_some() {
                    EntryPointKind::Rotation
                } else {
                    EntryPointKind::User
                },
                assignee: user.clone(),
                rotation_id: rotation.clone(),
                prompt: prompt.clone(),
                fallback: *fallback,
            },
        ),
        EntryPointAdmin::Delete { tenant, id } => ApiRequest::bodiless(
            "DELETE",
            tenant_path(tenant, &format!("/entry-points/{}", path_segment(id))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn body(request: &ApiRequest) -> Value {
        serde_json::from_slice(&request.body).unwrap()
    }

    #[test]
    fn builds_what_the_admin_api_parses() {
        let create = tenant(&TenantAdmin::Create {
            id: "acme".into(),
            name: None,
        });
        assert_eq!(
            (create.method, create.path.as_str()),
            ("POST", "/admin/tenants")
        );
        assert_eq!(body(&create), json!({ "id": "acme" }));
        let rotation = rotation(&RotationAdmin::Set {
            tenant: "acme".into(),
            id: "primary".into(),
            members: vec!["alice".into(), "bob".into()],
            shift_hours: 24,
            handoff: "09:00".into(),
            zone: "Europe/Berlin".into(),
            starts_on: "2026-11-30".into(),
        });
        assert_eq!(rotation.path, "/admin/tenants/acme/rotations/primary");
        let parsed: PutRotation = serde_json::from_slice(&rotation.body).unwrap();
        assert_eq!(parsed.members, ["alice", "bob"]);
        let entry = entry_point(&EntryPointAdmin::Set {
            tenant: "acme".into(),
            id: "oncall".into(),
            user: None,
            rotation: Some("primary".into()),
            prompt: "anything".into(),
            fallback: true,
        });
        assert_eq!(
            body(&entry),
            json!({ "kind": "rotation", "rotation_id": "primary", "prompt": "anything", "fallback": true })
        );
        let private = service(&ServiceAdmin::Set {
            tenant: "acme".into(),
            id: "api".into(),
            name: "API".into(),
            description: None,
            prompt: None,
            private: true,
        });
        assert_eq!(
            (private.method, body(&private)),
            ("PUT", json!({ "name": "API", "public": false }))
        );
        let guided = service(&ServiceAdmin::Set {
            tenant: "acme".into(),
            id: "api".into(),
            name: "API".into(),
            description: None,
            prompt: Some("Owned by #platform; check the gateway dashboard first.".into()),
            private: false,
        });
        assert_eq!(
            body(&guided),
            json!({ "name": "API", "public": true,
                    "prompt": "Owned by #platform; check the gateway dashboard first." })
        );
    }

    #[test]
    fn slack_connect_carries_the_archive_setting_and_install_link_asks_for_the_tenant() {
        let connect = |archive_on_close: bool, no_archive_on_close: bool| {
            slack(&SlackAdmin::Connect {
                tenant: "demo".into(),
                team: "T1".into(),
                bot_user: "U2".into(),
                token: "xoxb-3".into(),
                enterprise: None,
                app: None,
                scopes: String::new(),
                archive: ArchiveFlags {
                    archive_on_close,
                    no_archive_on_close,
                },
                announcement_channel: Some("C0INC".into()),
            })
        };
        for (flags, stored) in [
            ((false, false), None),
            ((true, false), Some(true)),
            ((false, true), Some(false)),
        ] {
            let parsed = incidentd_adapters::slack::inbound::admin::parse_connect(
                &connect(flags.0, flags.1).body,
            )
            .unwrap();
            assert_eq!(
                (parsed.archive_on_close, parsed.validate()),
                (stored, Ok(()))
            );
            assert_eq!(parsed.announcement_channel.as_deref(), Some("C0INC"));
        }
        let link = slack(&SlackAdmin::InstallLink {
            tenant: "acme eu".into(),
        });
        assert_eq!(
            (link.method, link.path.as_str()),
            ("GET", "/slack/install?tenant=acme%20eu")
        );
    }

    #[test]
    fn slack_settings_patch_only_what_is_given_and_list_and_show_read() {
        let settings = |archive: ArchiveFlags, channel: Option<&str>, no_channel: bool| {
            slack(&SlackAdmin::Settings {
                tenant: "acme eu".into(),
                archive,
                announcement_channel: channel.map(str::to_owned),
                no_announcement_channel: no_channel,
            })
        };
        let opt_out = ArchiveFlags {
            archive_on_close: false,
            no_archive_on_close: true,
        };
        let request = settings(opt_out, None, false);
        assert_eq!(
            (request.method, request.path.as_str()),
            ("PATCH", "/admin/slack/installations/acme%20eu")
        );
        assert_eq!(body(&request), json!({ "archive_on_close": false }));
        let cleared = settings(ArchiveFlags::default(), None, true);
        assert_eq!(body(&cleared), json!({ "announcement_channel": null }));
        let parsed: SettingsRequest = serde_json::from_slice(&cleared.body).unwrap();
        assert_eq!(
            parsed.announcement_channel,
            Some(None),
            "what the server reads"
        );
        let set = settings(ArchiveFlags::default(), Some("C0INC"), false);
        assert_eq!(body(&set), json!({ "announcement_channel": "C0INC" }));
        let list = slack(&SlackAdmin::List);
        assert_eq!(
            (list.method, list.path.as_str()),
            ("GET", "/admin/slack/installations")
        );
        let show = slack(&SlackAdmin::Show {
            tenant: "demo".into(),
        });
        assert_eq!(show.path, "/admin/slack/installations/demo");
    }

    #[test]
    fn an_installation_line_says_whether_slack_disabled_it_and_what_to_do() {
        let mut summary = InstallationSummary {
            tenant: "demo".into(),
            team_id: "T1".into(),
            enterprise_id: None,
            app_id: None,
            bot_user_id: "U2".into(),
            scopes: String::new(),
            installed_at: Some(1),
            state: InstallationState::Active,
            disabled_reason: None,
            disabled_at: None,
            disabled_message: None,
            archive_on_close: true,
            announcement_channel: None,
        };
        assert_eq!(
            installation_line(&summary),
            "demo  workspace T1 (bot U2)  archive on close: yes, announcement channel: none  active"
        );
        summary.state = InstallationState::Disabled;
        summary.disabled_message =
            Some("the Slack app was uninstalled from workspace T1: reinstall".into());
        assert!(installation_line(&summary)
            .ends_with("DISABLED: the Slack app was uninstalled from workspace T1: reinstall"));
    }

    #[test]
    fn the_install_link_is_read_from_the_redirect_and_refusals_are_explained() {
        let reply = |status, body| Reply { status, body };
        assert_eq!(
            link_of(&reply(
                302,
                json!({ "authorize_url": "https://slack.test/a?state=s" })
            )),
            Ok("https://slack.test/a?state=s".to_owned())
        );
        let refused = json!({ "error": { "code": "NOT_FOUND", "message": "no such tenant" } });
        assert_eq!(
            link_of(&reply(404, refused)),
            Err("404 NOT_FOUND: no such tenant".to_owned())
        );
    }
}
