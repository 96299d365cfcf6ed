//! `history.atom`: an Atom 1.0 (RFC 4287) feed with one entry per incident, as hosted status
//! pages publish theirs. An entry's content is the incident's whole update trail, newest
//! first; its `updated` is its latest update, so readers see each change.

use super::model::{status_label, PublicIncident, PublicPage};
use super::time::{human, rfc3339};
use crate::http::escape::escape;
use std::fmt::Write;

/// The trail as (escaped) HTML: one paragraph per update.
fn trail(incident: &PublicIncident) -> String {
    let mut html = String::new();
    for u in incident.updates_newest_first() {
        let _ = write!(
            html,
            "<p><small>{}</small><br><strong>{}</strong> - {}</p>",
            human(u.at),
            status_label(u.status),
            escape(&u.message)
        );
    }
    html
}

pub fn feed(page: &PublicPage) -> String {
    let self_url = format!("{}/history.atom", page.url);
    let mut out = String::with_capacity(4 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n\
         <id>{self_id}</id>\n\
         <title>{title} - Incident History</title>\n\
         <updated>{updated}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{page_url}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{self_id}\"/>\n\
         <author><name>{title}</name></author>\n",
        self_id = escape(&self_url),
        title = escape(&page.title),
        updated = rfc3339(page.updated_at()),
        page_url = escape(&page.url),
    );
    let mut incidents: Vec<&PublicIncident> = page.incidents.iter().collect();
    incidents.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    for incident in incidents {
        let link = format!("{}#incident-{}", page.url, incident.id);
        let _ = write!(
            out,
            "<entry>\n<id>{link}</id>\n<title>{}</title>\n<published>{}</published>\n\
             <updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n\
             <content type=\"html\">{}</content>\n</entry>\n",
            escape(&incident.title),
            rfc3339(incident.created_at),
            rfc3339(incident.updated_at),
            escape(&trail(incident)),
            link = escape(&link),
        );
    }
    out.push_str("</feed>\n");
    out
}
