//! The three documents over fixed data: snapshots, plus the properties a snapshot review
//! could miss.

use super::fixed_page;
use crate::status_page::response::{answer, Document};
use crate::status_page::{feed, html, summary};

#[test]
fn the_html_page_matches_its_snapshot() {
    insta::assert_snapshot!("page_html", html::page(&fixed_page()));
}

#[test]
fn the_summary_json_matches_its_snapshot() {
    insta::assert_snapshot!("summary_json", summary::summary(&fixed_page()));
}

#[test]
fn the_atom_feed_matches_its_snapshot() {
    insta::assert_snapshot!("history_atom", feed::feed(&fixed_page()));
}

#[test]
fn the_page_is_static_accessible_and_escaped() {
    let page = html::page(&fixed_page());
    for needle in [
        "<html lang=\"en\">",
        "<meta name=\"viewport\"",
        "<header>",
        "<main>",
        "<footer>",
        "<h1>Demo Status</h1>",
        "Major System Outage",
        "errors &lt;5% &amp; falling",
    ] {
        assert!(page.contains(needle), "missing {needle:?}");
    }
    for forbidden in [
        "<script",
        "http-equiv",
        "<img",
        "@import",
        "url(",
        "errors <5%",
    ] {
        assert!(!page.contains(forbidden), "found {forbidden:?}");
    }
    // Active updates newest first: the mitigation above the first report.
    let newer = page.find("A fix is rolling out").unwrap();
    let older = page.find("We are investigating failed checkouts").unwrap();
    assert!(newer < older);
    // Nothing is embedded from anywhere: no src attribute at all.
    assert!(!page.contains("src="));
}

#[test]
fn the_summary_lists_only_unresolved_incidents_with_statuspage_words() {
    let json: serde_json::Value =
        serde_json::from_str(&summary::summary(&fixed_page())).expect("valid JSON");
    assert_eq!(json["status"]["indicator"], "major");
    let incidents = json["incidents"].as_array().unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "the resolved one is history, not summary"
    );
    assert_eq!(incidents[0]["status"], "identified");
    assert_eq!(incidents[0]["impact"], "major");
    assert_eq!(incidents[0]["incident_updates"][0]["status"], "identified");
    let components: Vec<(&str, &str)> = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        components,
        [
            ("checkout", "major_outage"),
            ("payments", "operational"),
            ("api", "operational")
        ]
    );
}

#[test]
fn the_feed_is_one_entry_per_incident_latest_first_with_escaped_content() {
    let atom = feed::feed(&fixed_page());
    assert_eq!(atom.matches("<entry>").count(), 2);
    assert!(atom.find("Checkout degraded").unwrap() < atom.find("Payments delayed").unwrap());
    assert!(atom.contains(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"https://status.example.com/status/demo/history.atom\"/>"
    ));
    // The HTML trail is text inside the XML: its markup is escaped once, the message's twice.
    assert!(atom.contains("&lt;strong&gt;Mitigating&lt;/strong&gt;"));
    assert!(atom.contains("errors &amp;lt;5% &amp;amp; falling"));
}

#[test]
fn a_matching_etag_answers_304_without_a_body() {
    let page = fixed_page();
    let first = answer(Document::Html, Some(&page), None);
    assert_eq!(first.status, 200);
    let etag = first.etag.clone().expect("an etag");
    let again = answer(Document::Html, Some(&page), Some(&etag));
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    assert_eq!(again.etag.as_deref(), Some(etag.as_str()));
    let json = answer(Document::Summary, Some(&page), Some(&etag));
    assert_eq!(json.status, 200, "another document has another tag");

    let mut changed = page.clone();
    changed.incidents[0].updates[0].message.push('!');
    let stale = answer(Document::Html, Some(&changed), Some(&etag));
    assert_eq!(stale.status, 200, "a changed page is sent again");
}
