//! `GET /dashboard/incidents`: the tenant's incidents from the D1 index, newest first, one page
//! at a time, optionally filtered.
//!
//! Paging is by key, not by offset: rows are ordered by `(created_at, id)` descending, and a
//! page's `next_cursor` names its last row, so the next page starts strictly after it. An
//! incident declared meanwhile (newer than the first page) never shifts later pages, and none
//! is skipped or repeated. The cursor is opaque to clients: a checksummed token bound to the
//! filters it was issued for (a cursor from other filters, or edited, is a 400).
//!
//! The query string is parsed here, and `incidentctl` builds it with the same type
//! ([`ListQuery::to_query_string`]).

use crate::http::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use incidentd_core::model::{Severity, Status};
use sha2::{Digest, Sha256};
use sluice::sql::{decode_rows, Database, SqlValue};

use incidentd_wire::list::{
    param, IncidentPage, IncidentSummary, ListFilters, ListQuery, MAX_CURSOR_CHARS, MAX_LIMIT,
    MAX_SERVICE_CHARS, MAX_TIME_MS,
};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "INVALID_QUERY", message)
}

fn invalid_cursor(why: &str) -> ApiError {
    ApiError::new(
        400,
        "INVALID_CURSOR",
        format!("cursor: {why}; pass a next_cursor exactly as this server returned it, with the same filters, or leave it out for the first page"),
    )
}

/// A whole number in `0..=max`, written in decimal digits only.
fn number(name: &str, value: &str, max: i64, unit: &str) -> Result<i64, ApiError> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<i64>() {
        Ok(n) if digits && n <= max => Ok(n),
        _ => Err(invalid(format!("{name}: {unit}"))),
    }
}

/// A time bound: unix milliseconds; an RFC 3339 time is refused by name, so the caller knows
/// what to send instead.
fn time_bound(name: &str, value: &str) -> Result<i64, ApiError> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(value) {
        return Err(invalid(format!(
            "{name}: unix milliseconds expected, not an RFC 3339 time ({value} is {name}={})",
            time.timestamp_millis()
        )));
    }
    number(
        name,
        value,
        MAX_TIME_MS,
        &format!("unix milliseconds, a whole number from 0 to {MAX_TIME_MS}"),
    )
}

fn word<T: TryFrom<String>>(name: &str, value: &str, choices: &str) -> Result<T, ApiError> {
    T::try_from(value.to_owned()).map_err(|_| {
        invalid(format!(
            "{name}: one of {choices} (repeat {name}= for several), not {value:?}"
        ))
    })
}

const STATUS_WORDS: &str = "open, mitigating, resolved, declined";
const SEVERITY_WORDS: &str = "low, medium, high";

/// The server's reading of a list query string.
pub trait ParseListQuery: Sized {
    /// Parses the query string (without `?`). Unknown parameters, repeated single-valued ones
    /// and empty values are refused (400 `INVALID_QUERY`), as unknown body fields are.
    fn parse(query: &str) -> Result<Self, ApiError>;
}

impl ParseListQuery for ListQuery {
    fn parse(query: &str) -> Result<ListQuery, ApiError> {
        let mut parsed = ListQuery::default();
        let mut seen_single: Vec<&'static str> = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let name: &'static str = match name.as_ref() {
                param::STATUS => param::STATUS,
                param::SEVERITY => param::SEVERITY,
                param::SERVICE => param::SERVICE,
                param::CREATED_AFTER => param::CREATED_AFTER,
                param::CREATED_BEFORE => param::CREATED_BEFORE,
                param::LIMIT => param::LIMIT,
                param::CURSOR => param::CURSOR,
                other => {
                    return Err(invalid(format!(
                        "unknown parameter {other:?}: expected status, severity, service, created_after, created_before, limit or cursor"
                    )))
                }
            };
            if value.is_empty() {
                return Err(invalid(format!("{name}: empty")));
            }
            let repeatable = matches!(name, param::STATUS | param::SEVERITY);
            if !repeatable {
                if seen_single.contains(&name) {
                    return Err(invalid(format!("{name}: given more than once")));
                }
                seen_single.push(name);
            }
            let filters = &mut parsed.filters;
            match name {
                param::STATUS => {
                    let status: Status = word(name, &value, STATUS_WORDS)?;
                    if !filters.statuses.contains(&status) {
                        filters.statuses.push(status);
                    }
                }
                param::SEVERITY => {
                    let severity: Severity = word(name, &value, SEVERITY_WORDS)?;
                    if !filters.severities.contains(&severity) {
                        filters.severities.push(severity);
                    }
                }
                param::SERVICE => {
                    if value.chars().count() > MAX_SERVICE_CHARS {
                        return Err(invalid(format!(
                            "service: at most {MAX_SERVICE_CHARS} characters"
                        )));
                    }
                    filters.service = Some(value.into_owned());
                }
                param::CREATED_AFTER => filters.created_after = Some(time_bound(name, &value)?),
                param::CREATED_BEFORE => filters.created_before = Some(time_bound(name, &value)?),
                param::LIMIT => {
                    let limit = number(
                        name,
                        &value,
                        i64::from(MAX_LIMIT),
                        &format!("a whole number from 1 to {MAX_LIMIT}"),
                    )?;
                    if limit == 0 {
                        return Err(invalid(format!(
                            "limit: a whole number from 1 to {MAX_LIMIT}"
                        )));
                    }
                    parsed.limit = limit as u32;
                }
                _ => parsed.cursor = Some(value.into_owned()),
            }
        }
        Ok(parsed)
    }
}

/// The filters in one canonical form (order and repeats do not matter), digested: what a
/// cursor is bound to.
fn filters_digest(filters: &ListFilters) -> String {
    let mut statuses: Vec<&str> = filters.statuses.iter().map(|s| s.as_str()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let mut severities: Vec<&str> = filters.severities.iter().map(|s| s.as_str()).collect();
    severities.sort_unstable();
    severities.dedup();
    let canonical = serde_json::json!([
        statuses,
        severities,
        filters.service,
        filters.created_after,
        filters.created_before
    ]);
    hex::encode(&Sha256::digest(canonical.to_string().as_bytes())[..8])
}

/// Where a page starts: strictly after the row with these keys (in descending order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

const CURSOR_VERSION: &str = "1";

fn checksum(payload: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"incidentd list cursor\n");
    hash.update(payload.as_bytes());
    hex::encode(&hash.finalize()[..8])
}

impl Cursor {
    /// The token for a page that ends at this row, under `filters`.
    pub fn encode(&self, filters: &ListFilters) -> String {
        let payload = format!(
            "{CURSOR_VERSION}.{}.{}.{}",
            self.created_at,
            self.id,
            filters_digest(filters)
        );
        let token = format!("{payload}.{}", checksum(&payload));
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Reads a token [`Cursor::encode`] made for the same `filters`; anything else is a 400
    /// `INVALID_CURSOR` that says why.
    pub fn decode(token: &str, filters: &ListFilters) -> Result<Cursor, ApiError> {
        if token.len() > MAX_CURSOR_CHARS {
            return Err(invalid_cursor("too long to be one"));
        }
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| invalid_cursor("not a cursor this server issued"))?;
        let parts: Vec<&str> = raw.split('.').collect();
        let [version, created_at, id, digest, check] = parts[..] else {
            return Err(invalid_cursor("not a cursor this server issued"));
        };
        if version != CURSOR_VERSION {
            return Err(invalid_cursor("issued by another version of the API"));
        }
        let payload = format!("{version}.{created_at}.{id}.{digest}");
        if check != checksum(&payload) {
            return Err(invalid_cursor("altered or corrupted"));
        }
        let created_at = created_at
            .parse::<i64>()
            .ok()
            .filter(|t| (0..=MAX_TIME_MS).contains(t))
            .ok_or_else(|| invalid_cursor("not a cursor this server issued"))?;
        if !sluice::object::is_object_id(id) {
            return Err(invalid_cursor("not a cursor this server issued"));
        }
        if digest != filters_digest(filters) {
            return Err(invalid_cursor("issued for other filters"));
        }
        Ok(Cursor {
            created_at,
            id: id.to_owned(),
        })
    }
}

/// The statement for one page of `tenant_id`'s incidents and its parameters. It asks for one
/// row more than `limit`: that row only tells whether another page follows.
pub fn page_statement(
    tenant_id: &str,
    filters: &ListFilters,
    after: Option<&Cursor>,
    limit: u32,
) -> (String, Vec<SqlValue>) {
    let mut sql = String::from(
        "SELECT id, status, severity, assignee, title, description, created_at, updated_at \
         FROM incident_index WHERE tenant_id = ?",
    );
    let mut params: Vec<SqlValue> = vec![tenant_id.into()];
    let mut any_of = |column: &str, words: Vec<&'static str>, sql: &mut String| {
        if words.is_empty() {
            return;
        }
        let marks = vec!["?"; words.len()].join(", ");
        sql.push_str(&format!(" AND {column} IN ({marks})"));
        params.extend(words.into_iter().map(SqlValue::from));
    };
    any_of(
        "status",
        filters.statuses.iter().map(|s| s.as_str()).collect(),
        &mut sql,
    );
    any_of(
        "severity",
        filters.severities.iter().map(|s| s.as_str()).collect(),
        &mut sql,
    );
    if let Some(after) = filters.created_after {
        sql.push_str(" AND created_at >= ?");
        params.push(after.into());
    }
    if let Some(before) = filters.created_before {
        sql.push_str(" AND created_at < ?");
        params.push(before.into());
    }
    if let Some(service) = &filters.service {
        // The services an incident affects are those of its status-page affection.
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM status_incident_service s \
             WHERE s.incident_id = incident_index.id AND s.service_id = ?)",
        );
        params.push(service.as_str().into());
    }
    if let Some(cursor) = after {
        sql.push_str(" AND (created_at, id) < (?, ?)");
        params.push(cursor.created_at.into());
        params.push(cursor.id.as_str().into());
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    params.push(i64::from(limit + 1).into());
    (sql, params)
}

/// One page of the tenant's incidents, as `query` asks.
pub async fn list_incidents(
    db: &dyn Database,
    tenant_id: &str,
    query: &ListQuery,
) -> Result<IncidentPage, ApiError> {
    let after = query
        .cursor
        .as_deref()
        .map(|token| Cursor::decode(token, &query.filters))
        .transpose()?;
    let (sql, params) = page_statement(tenant_id, &query.filters, after.as_ref(), query.limit);
    let rows = db
        .query(&sql, params)
        .await
        .map_err(|e| ApiError::internal(format!("index query failed: {e}")))?;
    let mut incidents: Vec<IncidentSummary> =
        decode_rows(rows).map_err(|e| ApiError::internal(e.message))?;
    let more = incidents.len() > query.limit as usize;
    incidents.truncate(query.limit as usize);
    let next_cursor = match incidents.last() {
        Some(last) if more => Some(
            Cursor {
                created_at: last.created_at,
                id: last.id.clone(),
            }
            .encode(&query.filters),
        ),
        _ => None,
    };
    Ok(IncidentPage {
        incidents,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::native::SqliteDatabase;

    fn id(n: u32) -> String {
        format!("{n:064x}")
    }

    /// `n` incidents of tenant `t`: incident `i` is created at `1000 + i / 3` (so three share
    /// each millisecond), status by `i % 4`, severity by `i % 3`.
    fn db_with(n: u32) -> SqliteDatabase {
        let db = crate::migrations::migrated();
        let statuses = ["open", "mitigating", "resolved", "declined"];
        let severities = ["low", "medium", "high"];
        for i in 0..n {
            db.apply(&format!(
                "INSERT INTO incident_index (id, tenant_id, status, severity, title, description, \
                 created_at, updated_at, last_event_id) VALUES ('{}', 't', '{}', '{}', 'i{i}', '', {}, {}, 1)",
                id(i),
                statuses[(i % 4) as usize],
                severities[(i % 3) as usize],
                1000 + i / 3,
                1000 + i / 3,
            ))
            .unwrap();
        }
        // Another tenant's rows never show.
        db.apply(&format!(
            "INSERT INTO incident_index (id, tenant_id, status, severity, title, description, \
             created_at, updated_at, last_event_id) VALUES ('{}', 'other', 'open', 'high', 'x', '', 1001, 1001, 1)",
            id(9_999)
        ))
        .unwrap();
        db
    }

    fn page(db: &SqliteDatabase, query: &ListQuery) -> Result<IncidentPage, ApiError> {
        pollster::block_on(list_incidents(db, "t", query))
    }

    /// Every page, following cursors.
    fn all_pages(db: &SqliteDatabase, mut query: ListQuery) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        loop {
            let got = page(db, &query).unwrap();
            pages.push(got.incidents.iter().map(|i| i.id.clone()).collect());
            match got.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return pages,
            }
        }
    }

    #[test]
    fn pages_cover_every_row_once_newest_first_ties_by_id() {
        let db = db_with(25);
        let pages = all_pages(
            &db,
            ListQuery {
                limit: 4,
                ..ListQuery::default()
            },
        );
        assert_eq!(pages.len(), 7, "6 full pages of 4 and one of 1");
        assert!(pages[..6].iter().all(|p| p.len() == 4));
        let flat: Vec<String> = pages.concat();
        let mut expected: Vec<u32> = (0..25).collect();
        expected.sort_by_key(|i| std::cmp::Reverse((1000 + i / 3, *i)));
        assert_eq!(flat, expected.iter().map(|i| id(*i)).collect::<Vec<_>>());
    }

    #[test]
    fn an_exact_multiple_of_the_limit_ends_with_a_null_cursor() {
        let db = db_with(8);
        let first = page(
            &db,
            &ListQuery {
                limit: 8,
                ..ListQuery::default()
            },
        )
        .unwrap();
        assert_eq!((first.incidents.len(), first.next_cursor), (8, None));
        let empty = page(&crate::migrations::migrated(), &ListQuery::default()).unwrap();
        assert_eq!((empty.incidents.len(), empty.next_cursor), (0, None));
    }

    #[test]
    fn rows_inserted_between_pages_neither_shift_nor_repeat_later_pages() {
        let db = db_with(12);
        let query = ListQuery {
            limit: 5,
            ..ListQuery::default()
        };
        let first = page(&db, &query).unwrap();
        // A burst of new incidents, newer than everything listed so far.
        for i in 100..110 {
            db.apply(&format!(
                "INSERT INTO incident_index (id, tenant_id, status, severity, title, description, \
                 created_at, updated_at, last_event_id) VALUES ('{}', 't', 'open', 'low', 'n', '', 5000, 5000, 1)",
                id(i)
            ))
            .unwrap();
        }
        let rest = all_pages(
            &db,
            ListQuery {
                cursor: first.next_cursor.clone(),
                ..query
            },
        )
        .concat();
        let mut seen: Vec<String> = first.incidents.iter().map(|i| i.id.clone()).collect();
        seen.extend(rest);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "no row twice");
        assert_eq!(
            seen.len(),
            12,
            "exactly the rows that existed at the first page"
        );
    }

    #[test]
    fn filters_combine_and_page_within_the_filtered_rows() {
        let db = db_with(40);
        db.apply(&format!(
            "INSERT INTO status_incident_service (incident_id, service_id, impact, event_id) VALUES \
             ('{}', 'api', 'major', 1), ('{}', 'api', 'partial', 1), ('{}', 'web', 'major', 1)",
            id(4),
            id(8),
            id(12)
        ))
        .unwrap();
        let ids = |query: ListQuery| -> Vec<String> { all_pages(&db, query).concat() };
        let expect = |pred: &dyn Fn(u32) -> bool| -> Vec<String> {
            let mut rows: Vec<u32> = (0..40).filter(|i| pred(*i)).collect();
            rows.sort_by_key(|i| std::cmp::Reverse((1000 + i / 3, *i)));
            rows.into_iter().map(id).collect()
        };
        let with = |filters: ListFilters| ListQuery {
            filters,
            limit: 3,
            cursor: None,
        };
        assert_eq!(
            ids(with(ListFilters {
                statuses: vec![Status::Open, Status::Resolved],
                ..ListFilters::default()
            })),
            expect(&|i| i % 4 == 0 || i % 4 == 2)
        );
        assert_eq!(
            ids(with(ListFilters {
                statuses: vec![Status::Open],
                severities: vec![Severity::High],
                ..ListFilters::default()
            })),
            expect(&|i| i % 4 == 0 && i % 3 == 2)
        );
        assert_eq!(
            ids(with(ListFilters {
                created_after: Some(1003),
                created_before: Some(1006),
                ..ListFilters::default()
            })),
            expect(&|i| (1003..1006).contains(&(1000 + i / 3))),
            "created_after inclusive, created_before exclusive"
        );
        assert_eq!(
            ids(with(ListFilters {
                service: Some("api".into()),
                ..ListFilters::default()
            })),
            vec![id(8), id(4)]
        );
        assert_eq!(
            ids(with(ListFilters {
                created_after: Some(2000),
                created_before: Some(1000),
                ..ListFilters::default()
            })),
            Vec::<String>::new(),
            "an empty range is an empty list, not an error"
        );
    }

    #[test]
    fn the_query_uses_the_keyset_index_and_sorts_nothing() {
        let db = db_with(3);
        let cursor = Cursor {
            created_at: 1001,
            id: id(1),
        };
        let filters = ListFilters {
            statuses: vec![Status::Open],
            ..ListFilters::default()
        };
        let (sql, params) = page_statement("t", &filters, Some(&cursor), 50);
        let plan =
            pollster::block_on(db.query(&format!("EXPLAIN QUERY PLAN {sql}"), params)).unwrap();
        let details: Vec<String> = plan
            .iter()
            .map(|row| row["detail"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("USING INDEX incident_index_tenant_created_id")),
            "{details:?}"
        );
        assert!(
            !details.iter().any(|d| d.contains("TEMP B-TREE")),
            "no sort: {details:?}"
        );
    }

    #[test]
    fn the_query_string_round_trips_and_bad_values_are_named() {
        let query = ListQuery {
            filters: ListFilters {
                statuses: vec![Status::Open, Status::Mitigating],
                severities: vec![Severity::High],
                service: Some("api gateway/é".into()),
                created_after: Some(0),
                created_before: Some(MAX_TIME_MS),
            },
            limit: 7,
            cursor: Some("abc-_".into()),
        };
        assert_eq!(ListQuery::parse(&query.to_query_string()).unwrap(), query);
        assert_eq!(ListQuery::default().to_query_string(), "");
        assert_eq!(ListQuery::parse("").unwrap(), ListQuery::default());
        assert_eq!(
            ListQuery::parse("status=open&status=open")
                .unwrap()
                .filters
                .statuses,
            [Status::Open],
            "repeats collapse"
        );
        for (query, says) in [
            ("status=closed", "status: one of open, mitigating, resolved, declined"),
            ("status=open,resolved", "status: one of"),
            ("status=OPEN", "status: one of"),
            ("severity=critical", "severity: one of low, medium, high"),
            ("status=", "status: empty"),
            ("limit=0", "limit: a whole number from 1 to 200"),
            ("limit=201", "limit: a whole number from 1 to 200"),
            ("limit=-1", "limit:"),
            ("limit=%2B5", "limit:"),
            ("limit=1.5", "limit:"),
            ("limit=5&limit=6", "limit: given more than once"),
            ("created_after=2026-01-01T00:00:00Z", "created_after: unix milliseconds expected, not an RFC 3339 time (2026-01-01T00:00:00Z is created_after=1767225600000)"),
            ("created_before=yesterday", "created_before: unix milliseconds, a whole number from 0 to"),
            ("created_after=253402300800000", "created_after: unix milliseconds"),
            ("created_after=99999999999999999999", "created_after: unix milliseconds"),
            ("service=", "service: empty"),
            ("stauts=open", "unknown parameter \"stauts\""),
            ("cursor=a&cursor=b", "cursor: given more than once"),
        ] {
            let e = ListQuery::parse(query).unwrap_err();
            assert_eq!((e.status, e.code), (400, "INVALID_QUERY"), "{query}");
            assert!(e.message.starts_with(says), "{query}: {}", e.message);
        }
        let long = format!("service={}", "s".repeat(MAX_SERVICE_CHARS + 1));
        assert_eq!(ListQuery::parse(&long).unwrap_err().code, "INVALID_QUERY");
    }

    #[test]
    fn cursors_round_trip_and_hostile_ones_are_refused_with_a_reason() {
        let filters = ListFilters {
            statuses: vec![Status::Resolved, Status::Open],
            ..ListFilters::default()
        };
        let cursor = Cursor {
            created_at: 1_767_225_600_000,
            id: id(42),
        };
        let token = cursor.encode(&filters);
        assert!(token.len() < 200, "{token}");
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Cursor::decode(&token, &filters).unwrap(), cursor);
        // The same filters in another order or repeated are the same filters.
        let reordered = ListFilters {
            statuses: vec![Status::Open, Status::Resolved, Status::Open],
            ..ListFilters::default()
        };
        assert_eq!(Cursor::decode(&token, &reordered).unwrap(), cursor);

        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(&token).unwrap()).unwrap();
        let reencode = |text: &str| URL_SAFE_NO_PAD.encode(text);
        let forged_time = raw.replacen("1767225600000", "1767225600001", 1);
        let mut flipped = token.clone().into_bytes();
        flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let checked = |payload: &str| format!("{payload}.{}", checksum(payload));
        let hostile: Vec<(String, &str)> = vec![
            ("".into(), "not a cursor"),
            ("!!!!".into(), "not a cursor"),
            ("bm90IGEgY3Vyc29y".into(), "not a cursor"),
            (reencode(&forged_time), "altered or corrupted"),
            (flipped, ""),
            (format!("{token}A"), ""),
            (token[..token.len() - 2].to_owned(), ""),
            ("A".repeat(MAX_CURSOR_CHARS + 1), "too long"),
            (URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]), "not a cursor"),
            (reencode(&raw.replacen('1', "2", 1)), "another version"),
            (
                reencode(&checked(&format!(
                    "1.-5.{}.{}",
                    id(1),
                    filters_digest(&filters)
                ))),
                "not a cursor",
            ),
            (
                reencode(&checked(&format!(
                    "1.99999999999999999999.{}.{}",
                    id(1),
                    filters_digest(&filters)
                ))),
                "not a cursor",
            ),
            (
                reencode(&checked(&format!(
                    "1.5.' OR 1=1 --.{}",
                    filters_digest(&filters)
                ))),
                "not a cursor",
            ),
            (
                reencode(&checked(&format!(
                    "1.5.{}.{}.extra",
                    id(1),
                    filters_digest(&filters)
                ))),
                "not a cursor",
            ),
            (
                Cursor {
                    created_at: 5,
                    id: id(1),
                }
                .encode(&ListFilters::default()),
                "issued for other filters",
            ),
        ];
        for (token, says) in hostile {
            let e = Cursor::decode(&token, &filters).unwrap_err();
            assert_eq!((e.status, e.code), (400, "INVALID_CURSOR"), "{token}");
            assert!(e.message.contains(says), "{token}: {}", e.message);
        }
        // Through the list itself: 400, and nothing read.
        let db = db_with(3);
        let e = page(
            &db,
            &ListQuery {
                cursor: Some("garbage".into()),
                ..ListQuery::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
    }
}
