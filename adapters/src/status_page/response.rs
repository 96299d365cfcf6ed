//! The public routes' answers, as plain data: which document a path names, its body, and
//! the caching rules (`Cache-Control`, a strong `ETag` over the body, `304` on a matching
//! `If-None-Match`). The worker only loads the page and copies this onto its response.

use super::model::PublicPage;
use super::{feed, html, summary};
use crate::http::routes::Allow;
use sha2::{Digest, Sha256};

/// Shared caches and browsers may keep a page 30 s, then serve it stale while revalidating,
/// and for a day if incidentd cannot answer: the page matters most when things are down.
pub const CACHE_CONTROL: &str =
    "public, max-age=30, stale-while-revalidate=30, stale-if-error=86400";
/// Not-found and wrong-method answers are not cached: a page may appear at any moment.
pub const NO_STORE: &str = "no-store";

/// A document of a status page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Document {
    Html,
    Summary,
    Feed,
}

/// Whether `slug` could name a page (what the admin API accepts: 1 to 64 of `a-z 0-9 -`);
/// any other is answered 404 without reading D1.
pub fn plausible_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An answer to copy onto the HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub etag: Option<String>,
    /// `Allow`, on a 405.
    pub allow: Option<String>,
    /// Empty on a 304.
    pub body: String,
}

impl Document {
    fn content_type(self) -> &'static str {
        match self {
            Document::Html => "text/html; charset=utf-8",
            Document::Summary => "application/json; charset=utf-8",
            Document::Feed => "application/atom+xml; charset=utf-8",
        }
    }

    fn render(self, page: &PublicPage) -> String {
        match self {
            Document::Html => html::page(page),
            Document::Summary => summary::summary(page),
            Document::Feed => feed::feed(page),
        }
    }
}

/// A strong validator: the body's SHA-256, 128 bits of it.
pub fn etag(body: &str) -> String {
    format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    )
}

/// Whether `If-None-Match` names `etag` (or `*`). Comparison is weak, as RFC 9110 asks for
/// this header, so a `W/` prefix added by an intermediary still matches.
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// The answer for `document` of `page` (`None`: no such page).
pub fn answer(
    document: Document,
    page: Option<&PublicPage>,
    if_none_match: Option<&str>,
) -> Answer {
    let Some(page) = page else {
        return not_found(document);
    };
    let body = document.render(page);
    let etag = etag(&body);
    let fresh = if_none_match.is_some_and(|header| matches(header, &etag));
    Answer {
        status: if fresh { 304 } else { 200 },
        content_type: document.content_type(),
        cache_control: CACHE_CONTROL,
        etag: Some(etag),
        allow: None,
        body: if fresh { String::new() } else { body },
    }
}

/// 404 in the document's own format (an HTML page for the page and the feed).
pub fn not_found(document: Document) -> Answer {
    let (content_type, body) = match document {
        Document::Summary => (Document::Summary.content_type(), summary::not_found()),
        Document::Html | Document::Feed => (Document::Html.content_type(), html::not_found()),
    };
    Answer {
        status: 404,
        content_type,
        cache_control: NO_STORE,
        etag: None,
        allow: None,
        body,
    }
}

/// 405 for a method the page's routes do not serve; `allow` lists those they do.
pub fn method_not_allowed(allow: &Allow) -> Answer {
    Answer {
        status: 405,
        content_type: "text/plain; charset=utf-8",
        cache_control: NO_STORE,
        etag: None,
        allow: Some(allow.to_string()),
        body: "method not allowed: the status page is read-only\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slugs_the_admin_api_accepts_are_looked_up() {
        for good in ["demo", "acme-2", &"a".repeat(64)] {
            assert!(plausible_slug(good), "{good}");
        }
        for bad in ["Demo", "", "a.b", "../x", "%2e", &"a".repeat(65)] {
            assert!(!plausible_slug(bad), "{bad}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let tag = etag("body");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34);
        assert_ne!(tag, etag("body!"), "the tag follows the body");
        assert!(matches(&tag, &tag));
        assert!(matches(&format!("\"other\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }

    #[test]
    fn an_unknown_page_is_404_in_its_documents_format_and_not_cached() {
        let html = answer(Document::Html, None, None);
        assert_eq!((html.status, html.cache_control), (404, NO_STORE));
        assert!(html.body.contains("<h1>Status page not found</h1>"));
        let json = answer(Document::Summary, None, None);
        assert_eq!(json.status, 404);
        let body: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }
}
