//! The transactional outbox of a Durable Object.
//!
//! A state change is accepted iff the state, its outbox row and the alarm commit in one storage
//! transaction ([`Outbox::append`] inside [`SqlStore::transaction`]). The alarm then calls
//! [`Outbox::forward_due`], which hands rows to a [`Forwarder`] strictly in order, marks them
//! published, counts failed attempts with backoff, dead-letters a row after the attempt limit
//! (kept and replayable, never dropped) and re-arms the alarm itself while work remains, so
//! correctness never depends on the platform's own alarm retries.
//!
//! Forwarding is at least once: a crash between the forward and the `published_at` write
//! forwards the row again, so receivers deduplicate by event id.

use crate::duration::Duration;
use crate::retry::{Backoff, RetryPolicy};
use crate::sql::{SqlError, SqlStore, SqlValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    event_id        INTEGER PRIMARY KEY,
    event_type      TEXT    NOT NULL,
    data            TEXT    NOT NULL CHECK (json_valid(data)),
    snapshot        TEXT    CHECK (snapshot IS NULL OR json_valid(snapshot)),
    created_at      INTEGER NOT NULL,
    published_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    dead_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(event_id) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox(event_id) WHERE dead_at IS NOT NULL;
";

const COLUMNS: &str = "event_id, event_type, data, snapshot, created_at, published_at, attempts, \
                       next_attempt_at, dead_at, last_error";

/// How the alarm retries a row that could not be forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Forward attempts before the row is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the next attempt after the n-th failure.
    pub backoff: RetryPolicy,
    /// Upper bound of any single backoff delay.
    pub max_delay: Duration,
    /// Rows forwarded per alarm pass before the alarm re-arms and yields.
    pub batch: usize,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            backoff: RetryPolicy {
                limit: 9,
                delay: Duration::from_millis(500),
                backoff: Backoff::Exponential,
            },
            max_delay: Duration::from_secs(300),
            batch: 50,
        }
    }
}

impl OutboxPolicy {
    fn delay_after_failure(&self, attempts: u32) -> i64 {
        let delay = self
            .backoff
            .delay_before_retry(attempts)
            .min(self.max_delay);
        delay.as_millis() as i64
    }
}

/// An event to append: its type, its data, and the aggregate's state as of this event.
pub struct NewEvent<'a> {
    pub event_type: &'a str,
    pub data: &'a Value,
    pub snapshot: Option<&'a Value>,
}

/// One outbox row, i.e. one timeline entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub event_id: i64,
    pub event_type: String,
    pub data: Value,
    pub snapshot: Option<Value>,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub dead_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Deserialize)]
struct RawRow {
    event_id: i64,
    event_type: String,
    data: String,
    snapshot: Option<String>,
    created_at: i64,
    published_at: Option<i64>,
    attempts: u32,
    next_attempt_at: Option<i64>,
    dead_at: Option<i64>,
    last_error: Option<String>,
}

impl RawRow {
    fn decode(self) -> Result<OutboxRow, SqlError> {
        let json = |text: &str| {
            serde_json::from_str(text).map_err(|e| SqlError::new(format!("outbox json: {e}")))
        };
        Ok(OutboxRow {
            event_id: self.event_id,
            event_type: self.event_type,
            data: json(&self.data)?,
            snapshot: self.snapshot.as_deref().map(json).transpose()?,
            created_at: self.created_at,
            published_at: self.published_at,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            dead_at: self.dead_at,
            last_error: self.last_error,
        })
    }
}

/// Why a forward failed; the message is stored on the row as `last_error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardError(pub String);

/// Delivers one row downstream (to a Workflow instance, on Cloudflare).
#[async_trait::async_trait(?Send)]
pub trait Forwarder {
    async fn forward(&self, row: &OutboxRow) -> Result<(), ForwardError>;
}

/// What one alarm pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub forwarded: Vec<i64>,
    /// Rows that failed this pass and wait for a retry, with the error.
    pub failed: Vec<(i64, String)>,
    /// Rows dead-lettered this pass.
    pub dead_lettered: Vec<i64>,
    /// When the alarm was re-armed for, if work remains.
    pub next_alarm_at: Option<i64>,
}

/// The outbox over one Durable Object's storage.
pub struct Outbox<'s, S: SqlStore> {
    store: &'s S,
    policy: OutboxPolicy,
}

impl<'s, S: SqlStore> Outbox<'s, S> {
    pub fn new(store: &'s S, policy: OutboxPolicy) -> Self {
        Self { store, policy }
    }

    /// Creates the table and indexes; idempotent.
    pub fn migrate(&self) -> Result<(), SqlError> {
        for statement in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            self.store.execute(statement, &[])?;
        }
        Ok(())
    }

    /// Appends an event and arms the alarm. Call it inside [`SqlStore::transaction`], together
    /// with the state write it belongs to. Returns the event id.
    pub fn append(&self, event: NewEvent<'_>, now_ms: i64) -> Result<i64, SqlError> {
        let snapshot = event.snapshot.map(Value::to_string);
        let rows = self.store.query(
            "INSERT INTO outbox (event_type, data, snapshot, created_at, next_attempt_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING event_id",
            &[
                event.event_type.into(),
                event.data.to_string().into(),
                snapshot.into(),
                now_ms.into(),
                now_ms.into(),
            ],
        )?;
        let event_id = rows
            .first()
            .and_then(|r| r.get("event_id"))
            .and_then(Value::as_i64)
            .ok_or_else(|| SqlError::new("insert returned no event id"))?;
        self.store.set_alarm(now_ms)?;
        Ok(event_id)
    }

    /// Every row in event order: the aggregate's timeline.
    pub fn timeline(&self) -> Result<Vec<OutboxRow>, SqlError> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM outbox ORDER BY event_id"),
            &[],
        )
    }

    /// Rows that exhausted their attempts.
    pub fn dead_letters(&self) -> Result<Vec<OutboxRow>, SqlError> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM outbox WHERE dead_at IS NOT NULL ORDER BY event_id"),
            &[],
        )
    }

    /// Puts a dead-lettered row back in the queue with fresh attempts. Returns false when the
    /// row does not exist or is not dead.
    pub fn replay(&self, event_id: i64, now_ms: i64) -> Result<bool, SqlError> {
        self.store.transaction(|| {
            let rows = self.store.query(
                "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = ? \
                 WHERE event_id = ? AND dead_at IS NOT NULL RETURNING event_id",
                &[now_ms.into(), event_id.into()],
            )?;
            if rows.is_empty() {
                return Ok(false);
            }
            self.store.set_alarm(now_ms)?;
            Ok(true)
        })
    }

    /// True while any row waits to be forwarded.
    /// True while any row is dead-lettered.
    pub fn has_dead_letters(&self) -> Result<bool, SqlError> {
        Ok(!self
            .store
            .query(
                "SELECT 1 AS x FROM outbox WHERE dead_at IS NOT NULL LIMIT 1",
                &[],
            )?
            .is_empty())
    }

    pub fn has_pending(&self) -> Result<bool, SqlError> {
        Ok(!self
            .store
            .query(
                "SELECT 1 AS x FROM outbox WHERE next_attempt_at IS NOT NULL LIMIT 1",
                &[],
            )?
            .is_empty())
    }

    fn rows(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<OutboxRow>, SqlError> {
        self.store
            .query_as::<RawRow>(sql, params)?
            .into_iter()
            .map(RawRow::decode)
            .collect()
    }

    fn pending_head(&self, limit: usize) -> Result<Vec<OutboxRow>, SqlError> {
        self.rows(
            &format!(
                "SELECT {COLUMNS} FROM outbox WHERE next_attempt_at IS NOT NULL \
                 ORDER BY event_id LIMIT ?"
            ),
            &[(limit as i64).into()],
        )
    }

    /// One alarm pass: forwards due rows in event order until one fails, is not yet due, or
    /// the batch is done; then re-arms the alarm for the head of the queue. Never returns an
    /// error for a forwarding failure (that is recorded on the row); storage errors propagate.
    pub async fn forward_due<F: Forwarder>(
        &self,
        forwarder: &F,
        now_ms: i64,
    ) -> Result<PassReport, SqlError> {
        let mut report = PassReport::default();
        for row in self.pending_head(self.policy.batch)? {
            if row.next_attempt_at.is_some_and(|at| at > now_ms) {
                break; // head of line waits for its backoff; later rows keep their order
            }
            match forwarder.forward(&row).await {
                Ok(()) => {
                    self.store.execute(
                        "UPDATE outbox SET published_at = ?, next_attempt_at = NULL, \
                         last_error = NULL WHERE event_id = ? AND published_at IS NULL",
                        &[now_ms.into(), row.event_id.into()],
                    )?;
                    report.forwarded.push(row.event_id);
                }
                Err(ForwardError(message)) => {
                    let attempts = row.attempts + 1;
                    if attempts >= self.policy.max_attempts {
                        self.store.execute(
                            "UPDATE outbox SET attempts = ?, dead_at = ?, next_attempt_at = NULL, \
                             last_error = ? WHERE event_id = ?",
                            &[
                                attempts.into(),
                                now_ms.into(),
                                (&message).into(),
                                row.event_id.into(),
                            ],
                        )?;
                        report.dead_lettered.push(row.event_id);
                        continue;
                    }
                    let next = now_ms + self.policy.delay_after_failure(attempts);
                    self.store.execute(
                        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? \
                         WHERE event_id = ?",
                        &[
                            attempts.into(),
                            next.into(),
                            (&message).into(),
                            row.event_id.into(),
                        ],
                    )?;
                    report.failed.push((row.event_id, message));
                    break;
                }
            }
        }
        report.next_alarm_at = self
            .pending_head(1)?
            .first()
            .and_then(|head| head.next_attempt_at)
            .map(|at| at.max(now_ms));
        if let Some(at) = report.next_alarm_at {
            self.store.set_alarm(at)?;
        }
        Ok(report)
    }
}
