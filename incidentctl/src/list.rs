//! `incidentctl list`: one page of the tenant's incidents, or every page (`--all`), following
//! each page's `next_cursor` with the same filters.

use crate::render::outcomes::failure_line;
use crate::replies::{Failed, Listed};
use crate::requests::list_incidents;
use crate::{Client, Reply};
use incidentd_wire::list::ListQuery;

/// Sends one list request and decodes the page (a refusal is its `failure_line`).
fn one_page(
    send: &mut dyn FnMut(&str) -> Result<Reply, String>,
    query: &ListQuery,
) -> Result<Listed, String> {
    let request = list_incidents(query);
    let reply = send(&request.path)?;
    if !reply.is_success() {
        let failed: Option<Failed> = reply.decode().ok();
        return Err(failure_line(reply.status, failed.as_ref()));
    }
    reply.decode()
}

/// The page `query` names; with `all`, that page and every one after it merged (its
/// `next_cursor` then null). `send` GETs a path.
pub fn pages(
    mut send: impl FnMut(&str) -> Result<Reply, String>,
    query: &ListQuery,
    all: bool,
) -> Result<Listed, String> {
    let mut page = one_page(&mut send, query)?;
    if !all {
        return Ok(page);
    }
    let mut query = query.clone();
    while let Some(cursor) = page.next_cursor.take() {
        // A server that hands back the cursor it was given would loop for ever.
        if query.cursor.as_deref() == Some(cursor.as_str()) {
            return Err(format!(
                "the server returned the cursor it was given ({cursor}); stopping"
            ));
        }
        query.cursor = Some(cursor);
        let next = one_page(&mut send, &query)?;
        page.incidents.extend(next.incidents);
        page.next_cursor = next.next_cursor;
    }
    Ok(page)
}

/// [`pages`] through a signed client.
pub fn fetch(client: &Client, query: &ListQuery, all: bool) -> Result<Listed, String> {
    pages(|path| client.get(path), query, all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use incidentd_adapters::dashboard::receiver::list::ParseListQuery;
    use serde_json::{json, Value};

    fn row(n: u32) -> Value {
        json!({ "id": format!("{n:064x}"), "status": "open", "severity": "low", "assignee": null,
                "title": "t", "description": "", "created_at": n, "updated_at": n })
    }

    fn reply(status: u16, body: Value) -> Result<Reply, String> {
        Ok(Reply { status, body })
    }

    #[test]
    fn all_follows_cursors_with_the_same_filters_and_stops_at_null() {
        let mut asked = Vec::new();
        let query = ListQuery::parse("status=open&limit=2").unwrap();
        let listed = pages(
            |path| {
                asked.push(path.to_owned());
                match asked.len() {
                    1 => reply(
                        200,
                        json!({ "incidents": [row(5), row(4)], "next_cursor": "c1" }),
                    ),
                    2 => reply(
                        200,
                        json!({ "incidents": [row(3), row(2)], "next_cursor": "c2" }),
                    ),
                    _ => reply(200, json!({ "incidents": [row(1)], "next_cursor": null })),
                }
            },
            &query,
            true,
        )
        .unwrap();
        assert_eq!(listed.incidents.len(), 5);
        assert_eq!(listed.next_cursor, None);
        assert_eq!(
            asked,
            [
                "/dashboard/incidents?status=open&limit=2",
                "/dashboard/incidents?status=open&limit=2&cursor=c1",
                "/dashboard/incidents?status=open&limit=2&cursor=c2",
            ]
        );
    }

    #[test]
    fn without_all_one_page_keeps_its_cursor_and_refusals_say_why() {
        let one = pages(
            |_| reply(200, json!({ "incidents": [row(1)], "next_cursor": "c1" })),
            &ListQuery::default(),
            false,
        )
        .unwrap();
        assert_eq!(one.next_cursor.as_deref(), Some("c1"));
        let refused = pages(
            |_| {
                reply(
                    400,
                    json!({ "error": { "code": "INVALID_CURSOR", "message": "cursor: altered" } }),
                )
            },
            &ListQuery::default(),
            true,
        )
        .unwrap_err();
        assert_eq!(refused, "400 INVALID_CURSOR: cursor: altered");
        let looping = pages(
            |_| reply(200, json!({ "incidents": [], "next_cursor": "same" })),
            &ListQuery::default(),
            true,
        )
        .unwrap_err();
        assert!(looping.contains("stopping"), "{looping}");
    }
}
