//! `incidentctl admin …`: the operator's tenant configuration (`/admin/*`, bearer token), built
//! from the server's own request types so the CLI sends exactly what the API parses.

use crate::client::{send_with_headers, Reply};
use crate::paths::path_segment;
use crate::render::outcomes::failure_line;
use crate::replies::Failed;
use crate::requests::{self, ApiRequest};
use clap::Subcommand;
use incidentd_adapters::admin::requests::{
    AddOverride, CreateTenant, EntryPointKind, PutEntryPoint, PutRotation, PutService,
    PutStatusPage, RotateSecret,
};
use incidentd_adapters::slack::admin::ConnectRequest;
use incidentd_adapters::slack::oauth::INSTALL_PATH;
use incidentd_adapters::slack::secret::Secret;
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
        /// Archive each incident's channel once the incident is resolved or declined.
        #[arg(long)]
        archive_on_close: bool,
    },
    /// Print a link that installs the Slack app for a tenant (OAuth; valid for 10 minutes).
    /// Open it, or hand it to the workspace's admin.
    InstallLink {
        #[arg(long)]
        tenant: String,
    },
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
            archive_on_close,
        } => requests::slack_connect(&ConnectRequest {
            tenant: tenant.clone(),
            team_id: team.clone(),
            enterprise_id: enterprise.clone(),
            app_id: app.clone(),
            bot_user_id: bot_user.clone(),
            scopes: scopes.clone(),
            bot_token: Secret::new(token.clone()),
            archive_on_close: *archive_on_close,
        }),
        SlackAdmin::InstallLink { tenant } => ApiRequest::bodiless(
            "GET",
            format!("{INSTALL_PATH}?tenant={}", path_segment(tenant)),
        ),
    }
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
        let connect = |archive_on_close| {
            slack(&SlackAdmin::Connect {
                tenant: "demo".into(),
                team: "T1".into(),
                bot_user: "U2".into(),
                token: "xoxb-3".into(),
                enterprise: None,
                app: None,
                scopes: String::new(),
                archive_on_close,
            })
        };
        for on in [false, true] {
            let parsed = ConnectRequest::parse(&connect(on).body).unwrap();
            assert_eq!((parsed.archive_on_close, parsed.validate()), (on, Ok(())));
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
