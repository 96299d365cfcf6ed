//! `GET /dashboard/incidents`: the list query (filters, page size, cursor) and the page it
//! answers. The server parses the query string into a [`ListQuery`]
//! (`incidentd_adapters::dashboard::receiver::list`); clients build it with
//! [`ListQuery::to_query_string`], so both sides name the parameters alike.

// Not every field of these bodies has a doc comment, on purpose: schemars turns a field's
// doc into its description in the published OpenAPI document (docs/openapi.json), which
// this crate must not change.
#![allow(missing_docs)]

use incidentd_core::model::{Severity, Status};
use serde::{Deserialize, Serialize};

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// Most rows one page returns.
pub const MAX_LIMIT: u32 = 200;
/// Latest accepted time bound: 9999-12-31T23:59:59.999Z, in unix milliseconds.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;
/// Longest accepted `service` value (service ids are at most 64 characters).
pub const MAX_SERVICE_CHARS: usize = 64;
/// Longest cursor accepted (issued ones are about 140 characters).
pub const MAX_CURSOR_CHARS: usize = 512;

/// The query parameters, by name.
pub mod param {
    /// An incident status; repeatable (any of them).
    pub const STATUS: &str = "status";
    /// A severity; repeatable (any of them).
    pub const SEVERITY: &str = "severity";
    /// A service id of the incident's status-page affection.
    pub const SERVICE: &str = "service";
    /// Inclusive lower bound of `created_at`, unix milliseconds.
    pub const CREATED_AFTER: &str = "created_after";
    /// Exclusive upper bound of `created_at`, unix milliseconds.
    pub const CREATED_BEFORE: &str = "created_before";
    /// Rows per page.
    pub const LIMIT: &str = "limit";
    /// The previous page's `next_cursor`.
    pub const CURSOR: &str = "cursor";
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentSummary {
    pub id: String,
    pub status: Status,
    pub severity: Severity,
    pub assignee: Option<String>,
    pub title: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One page: the rows and, when more follow, the cursor of the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentPage {
    pub incidents: Vec<IncidentSummary>,
    /// Pass as `cursor` (with the same filters) for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which incidents: every filter given must hold (several statuses or severities: any of
/// them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilters {
    /// Any of these statuses (none: every status).
    pub statuses: Vec<Status>,
    /// Any of these severities (none: every severity).
    pub severities: Vec<Severity>,
    /// Incidents whose status-page affection names this service id.
    pub service: Option<String>,
    /// `created_at >= created_after` (unix ms).
    pub created_after: Option<i64>,
    /// `created_at < created_before` (unix ms).
    pub created_before: Option<i64>,
}

/// A list request: filters, page size and where the page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Which incidents.
    pub filters: ListFilters,
    /// Rows per page, 1 to [`MAX_LIMIT`].
    pub limit: u32,
    /// The previous page's `next_cursor`, as given.
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filters: ListFilters::default(),
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl ListQuery {
    /// The query string (without `?`) that the server's parser reads back as `self`; empty
    /// when everything is default.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let f = &self.filters;
        for status in &f.statuses {
            out.append_pair(param::STATUS, status.as_str());
        }
        for severity in &f.severities {
            out.append_pair(param::SEVERITY, severity.as_str());
        }
        if let Some(service) = &f.service {
            out.append_pair(param::SERVICE, service);
        }
        if let Some(after) = f.created_after {
            out.append_pair(param::CREATED_AFTER, &after.to_string());
        }
        if let Some(before) = f.created_before {
            out.append_pair(param::CREATED_BEFORE, &before.to_string());
        }
        if self.limit != DEFAULT_LIMIT {
            out.append_pair(param::LIMIT, &self.limit.to_string());
        }
        if let Some(cursor) = &self.cursor {
            out.append_pair(param::CURSOR, cursor);
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_differs_from_the_defaults_is_written() {
        assert_eq!(ListQuery::default().to_query_string(), "");
        let query = ListQuery {
            filters: ListFilters {
                statuses: vec![Status::Open, Status::Resolved],
                service: Some("api gateway".into()),
                ..ListFilters::default()
            },
            limit: DEFAULT_LIMIT,
            cursor: Some("c-1".into()),
        };
        assert_eq!(
            query.to_query_string(),
            "status=open&status=resolved&service=api+gateway&cursor=c-1"
        );
    }
}
