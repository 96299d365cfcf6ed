//! The page as server-rendered HTML: no JavaScript, no external assets, inline CSS that
//! reads at phone width, landmarks and headings for screen readers, and every state spelled
//! out in text next to its colour and symbol. Every string is escaped.

use super::model::{status_label, PublicIncident, PublicPage};
use super::rollup::{self, Indicator, ServiceStatus};
use super::time::{human, rfc3339};
use super::HISTORY_DAYS;
use crate::http::escape::escape;
use std::fmt::Write;

/// Dark text on pale fills: every pair has a contrast ratio above 7:1 (WCAG AAA).
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}\
header,main,footer{max-width:48rem;margin:0 auto;padding:1rem}\
header h1{margin:.5rem 0 0;font-size:1.75rem}\
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}\
h3{font-size:1.05rem;margin:0}\
a{color:#0a3d91}\
.banner{border-radius:.5rem;padding:1rem;border:2px solid}\
.banner h2{margin:0}\
.operational{background:#e6f4ea;color:#0b3d1c;border-color:#0b3d1c}\
.degraded{background:#fff4e0;color:#5c2d00;border-color:#5c2d00}\
.outage{background:#fdecea;color:#6e130b;border-color:#6e130b}\
ul.services,ol.updates{list-style:none;margin:0;padding:0}\
ul.services{background:#fff;border:1px solid #d0d7de;border-radius:.5rem}\
ul.services li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;padding:.75rem 1rem;border-top:1px solid #d0d7de}\
ul.services li:first-child{border-top:0}\
.state{font-weight:600;padding:0 .5rem;border-radius:.25rem}\
article{background:#fff;border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:0 0 1rem}\
.meta{margin:.25rem 0 .5rem;color:#424a53;font-size:.9rem}\
ol.updates li{border-left:3px solid #d0d7de;padding:.25rem 0 .25rem .75rem;margin:.5rem 0}\
ol.updates p{margin:0;overflow-wrap:anywhere}\
time{color:#424a53;font-size:.9rem}\
footer{color:#424a53;font-size:.9rem}";

fn symbol(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Operational => "✓",
        ServiceStatus::PartialOutage => "!",
        ServiceStatus::MajorOutage => "✕",
    }
}

fn tier(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Operational => "operational",
        ServiceStatus::PartialOutage => "degraded",
        ServiceStatus::MajorOutage => "outage",
    }
}

fn head(out: &mut String, title: &str, feed: Option<&str>) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"icon\" href=\"data:,\">\n",
        escape(title)
    );
    if let Some(feed) = feed {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{} incident history\" href=\"{}\">",
            escape(title),
            escape(feed)
        );
    }
    let _ = write!(out, "<style>{STYLE}</style>\n</head>\n<body>\n");
}

fn incident(out: &mut String, incident: &PublicIncident) {
    let _ = write!(
        out,
        "<article id=\"incident-{}\" aria-labelledby=\"title-{0}\">\n<h3 id=\"title-{0}\">{}</h3>\n<p class=\"meta\">{}",
        escape(&incident.id),
        escape(&incident.title),
        status_label(incident.status)
    );
    if !incident.affected.is_empty() {
        let affected: Vec<String> = incident
            .affected
            .iter()
            .map(|a| {
                let status = ServiceStatus::from_impact(Some(a.impact));
                format!(
                    "{} ({})",
                    escape(&a.name),
                    status.label().to_ascii_lowercase()
                )
            })
            .collect();
        let verb = if incident.is_active() {
            "Affects"
        } else {
            "Affected"
        };
        let _ = write!(out, " · {verb} {}", affected.join(", "));
    }
    out.push_str("</p>\n<ol class=\"updates\">\n");
    for update in incident.updates_newest_first() {
        let _ = writeln!(
            out,
            "<li><p><strong>{}</strong> — {}</p><time datetime=\"{}\">{}</time></li>",
            status_label(update.status),
            escape(&update.message),
            rfc3339(update.at),
            human(update.at)
        );
    }
    out.push_str("</ol>\n</article>\n");
}

/// The whole page.
pub fn page(page: &PublicPage) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let feed = format!("{}/history.atom", page.url);
    head(&mut out, &page.title, Some(&feed));
    let _ = write!(
        out,
        "<header>\n<h1>{}</h1>\n</header>\n<main>\n",
        escape(&page.title)
    );

    let indicator = rollup::indicator(page);
    let banner = match indicator {
        Indicator::None => "✓",
        Indicator::Minor => "!",
        Indicator::Major | Indicator::Critical => "✕",
    };
    let _ = write!(
        out,
        "<section class=\"banner {}\" aria-labelledby=\"overall\">\n\
         <h2 id=\"overall\"><span aria-hidden=\"true\">{banner}</span> {}</h2>\n</section>\n",
        indicator.tier(),
        indicator.description()
    );

    out.push_str("<section aria-labelledby=\"services\">\n<h2 id=\"services\">Services</h2>\n");
    if page.services.is_empty() {
        out.push_str("<p>No services are listed.</p>\n");
    } else {
        out.push_str("<ul class=\"services\">\n");
        for service in &page.services {
            let status = rollup::service_status(page, &service.id);
            let _ = writeln!(
                out,
                "<li><span>{}</span><span class=\"state {}\"><span aria-hidden=\"true\">{}</span> {}</span></li>",
                escape(&service.name),
                tier(status),
                symbol(status),
                status.label()
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    out.push_str("<section aria-labelledby=\"active\">\n<h2 id=\"active\">Active incidents</h2>\n");
    let active = page.active_incidents();
    if active.is_empty() {
        out.push_str("<p>No active incidents.</p>\n");
    }
    for i in active {
        incident(&mut out, i);
    }
    let _ = write!(
        out,
        "</section>\n<section aria-labelledby=\"history\">\n\
         <h2 id=\"history\">Resolved incidents (last {HISTORY_DAYS} days)</h2>\n"
    );
    let resolved = page.resolved_incidents();
    if resolved.is_empty() {
        let _ = writeln!(out, "<p>No incidents in the last {HISTORY_DAYS} days.</p>");
    }
    for i in resolved {
        incident(&mut out, i);
    }
    let _ = write!(
        out,
        "</section>\n</main>\n<footer>\n<p>Times are in UTC. \
         <a href=\"{}\">Atom feed</a> · <a href=\"{}/summary.json\">JSON summary</a></p>\n\
         </footer>\n</body>\n</html>\n",
        escape(&feed),
        escape(&page.url)
    );
    out
}

/// The page for an unknown slug or path.
pub fn not_found() -> String {
    let mut out = String::with_capacity(2 * 1024);
    head(&mut out, "Status page not found", None);
    out.push_str(
        "<header>\n<h1>Status page not found</h1>\n</header>\n<main>\n\
         <p>There is no status page at this address. Check the link you followed.</p>\n\
         </main>\n<footer>\n<p>incidentd</p>\n</footer>\n</body>\n</html>\n",
    );
    out
}
