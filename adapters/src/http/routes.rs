//! Every public route of the worker as data: method, path template and the handler that
//! serves it. The worker resolves each request against [`ROUTES`] once: a path that no template
//! matches is a 404; a path that matches with another method is a 405 whose `Allow` lists the
//! methods of the templates it matched ([`Resolved::MethodNotAllowed`]). So `Allow` comes from
//! the very table the dispatch does, and the OpenAPI document is built from it too
//! (`openapi.rs` has to describe each handler, and a test compares the two).

use crate::status_page::response::Document;
use std::fmt;

/// What serves a route. The worker matches on it exhaustively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    Health,
    OpenApi,
    Dashboard(Dashboard),
    Admin(Admin),
    Slack(Slack),
    /// A public status-page document (GET and HEAD).
    Status(Document),
}

/// `/dashboard/*`, signed by the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dashboard {
    List,
    Create,
    Show,
    Workflow,
    Analysis,
    DeadLetters,
    Replay,
    FailedEffects,
    RetryEffect,
    DismissEffect,
    /// A change: the route's name as `requests::command` knows it.
    Change(&'static str),
}

/// `/admin/*`, the operator's bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Admin {
    CreateTenant,
    ShowTenant,
    RotateSecret,
    PutStatusPage,
    PutService,
    DeleteService,
    PutRotation,
    AddOverride,
    PutEntryPoint,
    DeleteEntryPoint,
}

/// Slack's own requests (signed by Slack), the OAuth install and the operator's direct
/// connection of a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slack {
    Events,
    Interactions,
    Commands,
    /// The operator's link to Slack's authorize page.
    Install,
    /// The browser, back from Slack.
    OAuthCallback,
    /// The operator connects a workspace with a bot token it already has.
    Connect,
    /// The operator lists the installations and their state.
    ListInstallations,
    /// One tenant's installation.
    ShowInstallation,
    /// The operator changes an installation's settings.
    UpdateInstallation,
}

/// One route: `path` is an OpenAPI path template (`/dashboard/incidents/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: Handler,
}

const fn route(method: &'static str, path: &'static str, handler: Handler) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

use Handler::{Admin as A, Dashboard as D, Slack as S, Status};

/// The worker's routes. The order is the OpenAPI document's; `Allow` lists methods in it too.
pub const ROUTES: &[Route] = &[
    route("GET", "/healthz", Handler::Health),
    route("GET", "/openapi.json", Handler::OpenApi),
    // The dashboard API.
    route("GET", "/dashboard/incidents", D(Dashboard::List)),
    route("POST", "/dashboard/incidents", D(Dashboard::Create)),
    route("GET", "/dashboard/incidents/{id}", D(Dashboard::Show)),
    route(
        "GET",
        "/dashboard/incidents/{id}/workflow",
        D(Dashboard::Workflow),
    ),
    route(
        "GET",
        "/dashboard/incidents/{id}/analysis",
        D(Dashboard::Analysis),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/severity",
        D(Dashboard::Change("severity")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/assignee",
        D(Dashboard::Change("assignee")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/status",
        D(Dashboard::Change("status")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/messages",
        D(Dashboard::Change("messages")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/prompts",
        D(Dashboard::Change("prompts")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/affection",
        D(Dashboard::Change("affection")),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/affection/updates",
        D(Dashboard::Change("affection/updates")),
    ),
    route(
        "GET",
        "/dashboard/incidents/{id}/dead-letters",
        D(Dashboard::DeadLetters),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/dead-letters/{event_id}/replay",
        D(Dashboard::Replay),
    ),
    route(
        "GET",
        "/dashboard/incidents/{id}/failed-effects",
        D(Dashboard::FailedEffects),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/failed-effects/{event_id}/{effect}/retry",
        D(Dashboard::RetryEffect),
    ),
    route(
        "POST",
        "/dashboard/incidents/{id}/failed-effects/{event_id}/{effect}/dismiss",
        D(Dashboard::DismissEffect),
    ),
    // The operator's admin API.
    route("POST", "/admin/tenants", A(Admin::CreateTenant)),
    route("GET", "/admin/tenants/{tenant}", A(Admin::ShowTenant)),
    route(
        "POST",
        "/admin/tenants/{tenant}/signing-secret/rotate",
        A(Admin::RotateSecret),
    ),
    route(
        "PUT",
        "/admin/tenants/{tenant}/status-page",
        A(Admin::PutStatusPage),
    ),
    route(
        "PUT",
        "/admin/tenants/{tenant}/services/{service}",
        A(Admin::PutService),
    ),
    route(
        "DELETE",
        "/admin/tenants/{tenant}/services/{service}",
        A(Admin::DeleteService),
    ),
    route(
        "PUT",
        "/admin/tenants/{tenant}/rotations/{rotation}",
        A(Admin::PutRotation),
    ),
    route(
        "POST",
        "/admin/tenants/{tenant}/rotations/{rotation}/overrides",
        A(Admin::AddOverride),
    ),
    route(
        "PUT",
        "/admin/tenants/{tenant}/entry-points/{entry_point}",
        A(Admin::PutEntryPoint),
    ),
    route(
        "DELETE",
        "/admin/tenants/{tenant}/entry-points/{entry_point}",
        A(Admin::DeleteEntryPoint),
    ),
    route(
        "GET",
        "/admin/slack/installations",
        S(Slack::ListInstallations),
    ),
    route("POST", "/admin/slack/installations", S(Slack::Connect)),
    route(
        "GET",
        "/admin/slack/installations/{tenant}",
        S(Slack::ShowInstallation),
    ),
    route(
        "PATCH",
        "/admin/slack/installations/{tenant}",
        S(Slack::UpdateInstallation),
    ),
    // Slack.
    route("POST", "/slack/events", S(Slack::Events)),
    route("POST", "/slack/interactions", S(Slack::Interactions)),
    route("POST", "/slack/commands", S(Slack::Commands)),
    route("GET", "/slack/install", S(Slack::Install)),
    route("GET", "/slack/oauth/callback", S(Slack::OAuthCallback)),
    // The public status page: read-only, HEAD as well as GET.
    route("GET", "/status/{slug}", Status(Document::Html)),
    route("HEAD", "/status/{slug}", Status(Document::Html)),
    route(
        "GET",
        "/status/{slug}/summary.json",
        Status(Document::Summary),
    ),
    route(
        "HEAD",
        "/status/{slug}/summary.json",
        Status(Document::Summary),
    ),
    route("GET", "/status/{slug}/history.atom", Status(Document::Feed)),
    route(
        "HEAD",
        "/status/{slug}/history.atom",
        Status(Document::Feed),
    ),
];

/// The path parameters of a matched route, by their template names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params<'p> {
    pairs: Vec<(&'static str, &'p str)>,
}

impl<'p> Params<'p> {
    /// The parameter `name`; a name the template lacks is a programming error, answered as
    /// the empty string (which no handler accepts as an id).
    pub fn get(&self, name: &str) -> &'p str {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v)
    }
}

/// The outcome of resolving a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved<'p> {
    Found {
        handler: Handler,
        params: Params<'p>,
    },
    /// The path exists, not with this method: `allow` is the `Allow` header's value.
    MethodNotAllowed {
        allow: Allow,
    },
    NotFound,
}

/// The methods a path accepts, in table order, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allow(Vec<&'static str>);

impl Allow {
    pub fn methods(&self) -> &[&'static str] {
        &self.0
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// Matches `path` (no query) against `template`: literal segments equal, `{name}` segments
/// non-empty. Leading and trailing slashes are ignored, as the worker always has.
fn matches<'p>(template: &'static str, path: &'p str) -> Option<Params<'p>> {
    let mut wanted = template.trim_matches('/').split('/');
    let mut given = path.trim_matches('/').split('/');
    let mut params = Params::default();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) if !g.is_empty() => params.pairs.push((name, g)),
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            },
            _ => return None,
        }
    }
}

/// Resolves `method path` against `table` (the worker passes [`ROUTES`]).
pub fn resolve<'p>(table: &[Route], method: &str, path: &'p str) -> Resolved<'p> {
    let mut allow = Vec::new();
    for route in table {
        let Some(params) = matches(route.path, path) else {
            continue;
        };
        if route.method.eq_ignore_ascii_case(method) {
            return Resolved::Found {
                handler: route.handler,
                params,
            };
        }
        if !allow.contains(&route.method) {
            allow.push(route.method);
        }
    }
    if allow.is_empty() {
        Resolved::NotFound
    } else {
        Resolved::MethodNotAllowed {
            allow: Allow(allow),
        }
    }
}

/// The methods `path_template` is served with, in table order (for tests and the document).
pub fn methods_of(path_template: &str) -> Vec<&'static str> {
    let mut methods = Vec::new();
    for route in ROUTES.iter().filter(|r| r.path == path_template) {
        if !methods.contains(&route.method) {
            methods.push(route.method);
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn found(method: &str, path: &str) -> (Handler, Vec<(&'static str, String)>) {
        match resolve(ROUTES, method, path) {
            Resolved::Found { handler, params } => (
                handler,
                params
                    .pairs
                    .iter()
                    .map(|(n, v)| (*n, (*v).to_owned()))
                    .collect(),
            ),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn each_route_resolves_to_its_handler_with_named_params() {
        assert_eq!(
            found(
                "POST",
                "/dashboard/incidents/abc/failed-effects/7/slack/retry"
            ),
            (
                D(Dashboard::RetryEffect),
                vec![
                    ("id", "abc".into()),
                    ("event_id", "7".into()),
                    ("effect", "slack".into())
                ]
            )
        );
        assert_eq!(
            found("post", "/dashboard/incidents/abc/affection/updates/").0,
            D(Dashboard::Change("affection/updates")),
            "methods compare without case, a trailing slash is ignored"
        );
        assert_eq!(
            found("HEAD", "/status/acme/history.atom").0,
            Status(Document::Feed)
        );
        for route in ROUTES {
            let concrete: String = route
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            assert_eq!(found(route.method, &concrete).0, route.handler, "{route:?}");
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_405_listing_the_paths_methods() {
        fn allow(method: &str, path: &str) -> String {
            match resolve(ROUTES, method, path) {
                Resolved::MethodNotAllowed { allow } => allow.to_string(),
                other => panic!("{method} {path}: {other:?}"),
            }
        }
        assert_eq!(allow("DELETE", "/dashboard/incidents"), "GET, POST");
        assert_eq!(allow("POST", "/dashboard/incidents/x"), "GET");
        assert_eq!(allow("GET", "/dashboard/incidents/x/severity"), "POST");
        assert_eq!(allow("PATCH", "/admin/tenants/t/services/s"), "PUT, DELETE");
        assert_eq!(allow("POST", "/status/acme"), "GET, HEAD");
        assert_eq!(allow("GET", "/slack/events"), "POST");
        assert_eq!(allow("POST", "/healthz"), "GET");
        // Every path's 405 lists exactly the methods the table serves it with.
        for route in ROUTES {
            let concrete = route.path.replace(['{', '}'], "");
            let methods = methods_of(route.path);
            let other = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
                .into_iter()
                .find(|m| !methods.contains(m))
                .unwrap();
            assert_eq!(allow(other, &concrete), methods.join(", "), "{route:?}");
        }
    }

    #[test]
    fn unknown_paths_and_empty_parameters_are_404() {
        for path in [
            "/",
            "/dashboard",
            "/dashboard/incidents/x/comments",
            "/dashboard/incidents//severity",
            "/status/acme/x",
            "/status//summary.json",
            "/admin/tenants/t/services",
            "/admin",
        ] {
            assert_eq!(resolve(ROUTES, "GET", path), Resolved::NotFound, "{path}");
        }
    }

    #[test]
    fn no_route_is_listed_twice_and_no_two_templates_overlap() {
        let mut seen = HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "{route:?} twice");
        }
        // A concrete path of one template must not match another template with the same
        // method (the first would silently win).
        for a in ROUTES {
            let concrete = a.path.replace(['{', '}'], "");
            for b in ROUTES {
                if a.path != b.path && a.method == b.method {
                    assert!(matches(b.path, &concrete).is_none(), "{a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn the_named_path_constants_are_routes() {
        for path in [
            incidentd_wire::slack_install::INSTALL_PATH,
            crate::slack::inbound::oauth::CALLBACK_PATH,
            incidentd_wire::slack_install::INSTALLATIONS_PATH,
        ] {
            assert!(ROUTES.iter().any(|r| r.path == path), "{path}");
        }
    }
}
