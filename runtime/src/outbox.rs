//! The transactional outbox of a Durable Object.
//!
//! A state change is accepted iff the state, its outbox row and the alarm commit in one storage
//! transaction ([`Outbox::append_with`] inside [`SqlStore::transaction`]). The alarm then calls
//! [`Outbox::forward_due`], which hands rows to a [`Forwarder`], marks them published, counts
//! failed attempts with backoff, and re-arms the alarm itself while work remains, so
//! correctness never depends on the platform's own alarm retries. The outbox owns its table:
//! nobody else writes `outbox` SQL.
//!
//! # Delivery rule
//!
//! - **Order.** Rows are forwarded in event-id order. A row that fails holds the rows behind
//!   it (head of line) while it is retried with backoff.
//! - **Dead letters.** After [`OutboxPolicy::max_attempts`] failures a row is dead-lettered:
//!   kept, visible, replayable, never dropped. The queue then moves on, so one poisoned event
//!   delays later events by its retry schedule but never stops them.
//! - **Replay.** [`Outbox::replay`] puts a dead letter back in the queue with fresh attempts.
//!   It keeps its id, which is behind rows already forwarded, so it reaches the receiver
//!   *after* later events. The [`QueuePosition`] handed to the forwarder says whether more
//!   rows wait behind a row, so a receiver can tell the last one.
//! - **At least once.** A crash between the forward and the `published_at` write forwards the
//!   row again. Receivers therefore deduplicate by event id and must not assume ids arrive in
//!   increasing order.

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
    /// Delay before the next attempt after the n-th failure (its `max_delay` bounds any
    /// single delay).
    pub backoff: RetryPolicy,
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
                max_delay: Some(Duration::from_secs(300)),
            },
            batch: 50,
        }
    }
}

impl OutboxPolicy {
    fn delay_after_failure(&self, attempts: u32) -> i64 {
        self.backoff.delay_before_retry(attempts).as_millis() as i64
    }
}

/// An event to append: its type and its data.
pub struct NewEvent<'a> {
    /// The event type, as [`EventKind::EVENT_TYPE`](crate::EventKind::EVENT_TYPE) names it.
    pub event_type: &'a str,
    /// The event's data; stored as JSON text.
    pub data: &'a Value,
}

/// One outbox row, i.e. one timeline entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    /// The event's id: increasing within the object, from 1.
    pub event_id: i64,
    /// The event type.
    pub event_type: String,
    /// The event's data.
    pub data: Value,
    /// The aggregate's state as of the event, if the appender recorded one.
    pub snapshot: Option<Value>,
    /// When the row was appended, in unix milliseconds.
    pub created_at: i64,
    /// When it was forwarded, in unix milliseconds; `None` while pending or dead.
    pub published_at: Option<i64>,
    /// Failed forward attempts so far (reset to 0 by [`Outbox::replay`] and [`Outbox::requeue`]).
    pub attempts: u32,
    /// When the alarm next tries it, in unix milliseconds; `None` once forwarded or dead.
    pub next_attempt_at: Option<i64>,
    /// When it was dead-lettered, in unix milliseconds; `None` unless it is a dead letter.
    pub dead_at: Option<i64>,
    /// The error of the last failed forward, if any.
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

/// Where a row stands when it is forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePosition {
    /// Other rows wait to be forwarded after this one (dead letters do not count: they wait
    /// for a replay).
    pub more_pending: bool,
}

/// Delivers one row downstream (to a Workflow instance, on Cloudflare).
#[async_trait::async_trait(?Send)]
pub trait Forwarder {
    /// Delivers `row` once. `Ok` marks it published; an `Err` counts a failed attempt and
    /// schedules a retry with backoff (or dead-letters the row after
    /// [`OutboxPolicy::max_attempts`]). May be called again for a row already delivered (at
    /// least once), so receivers deduplicate by event id.
    async fn forward(&self, row: &OutboxRow, position: QueuePosition) -> Result<(), ForwardError>;
}

/// What one alarm pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// The rows forwarded this pass, by event id, in order.
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
    /// The outbox over `store`, retried per `policy`. Call [`Outbox::migrate`] once before use.
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
    /// with the state write it belongs to. `snapshot` receives the new event's id and returns
    /// the aggregate's state as of the event (JSON text) or `None`; it runs before the row is
    /// written, so its own writes (the state) commit with it and the row is written once.
    /// Returns the event id.
    pub fn append_with(
        &self,
        event: NewEvent<'_>,
        now_ms: i64,
        snapshot: impl FnOnce(i64) -> Result<Option<String>, SqlError>,
    ) -> Result<i64, SqlError> {
        // Ids are dense and only grow: rows are never deleted one by one.
        let event_id = self
            .store
            .query(
                "SELECT COALESCE(MAX(event_id), 0) + 1 AS next FROM outbox",
                &[],
            )?
            .first()
            .and_then(|r| r.get("next"))
            .and_then(Value::as_i64)
            .ok_or_else(|| SqlError::new("outbox: no next event id"))?;
        let snapshot = snapshot(event_id)?;
        self.store.execute(
            "INSERT INTO outbox (event_id, event_type, data, snapshot, created_at, next_attempt_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
            &[
                event_id.into(),
                event.event_type.into(),
                event.data.to_string().into(),
                snapshot.into(),
                now_ms.into(),
                now_ms.into(),
            ],
        )?;
        self.store.set_alarm(now_ms)?;
        Ok(event_id)
    }

    /// [`append_with`](Self::append_with) without a snapshot.
    pub fn append(&self, event: NewEvent<'_>, now_ms: i64) -> Result<i64, SqlError> {
        self.append_with(event, now_ms, |_| Ok(None))
    }

    /// Every row in event order: the aggregate's timeline.
    pub fn timeline(&self) -> Result<Vec<OutboxRow>, SqlError> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM outbox ORDER BY event_id"),
            &[],
        )
    }

    /// The rows with ids from `from` to `to` (inclusive), in event order.
    pub fn between(&self, from: i64, to: i64) -> Result<Vec<OutboxRow>, SqlError> {
        self.rows(
            &format!(
                "SELECT {COLUMNS} FROM outbox WHERE event_id BETWEEN ? AND ? ORDER BY event_id"
            ),
            &[from.into(), to.into()],
        )
    }

    /// The newest row forwarded and not dead-lettered since.
    pub fn latest_published(&self) -> Result<Option<OutboxRow>, SqlError> {
        Ok(self
            .rows(
                &format!(
                    "SELECT {COLUMNS} FROM outbox WHERE published_at IS NOT NULL AND dead_at IS NULL \
                     ORDER BY event_id DESC LIMIT 1"
                ),
                &[],
            )?
            .pop())
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
        self.queue_again("dead_at = NULL,", "dead_at IS NOT NULL", event_id, now_ms)
    }

    /// Puts a forwarded event back in the queue (to carry a retry of its effects); `false` when
    /// there is no such row or it is a dead letter (its replay forwards it).
    pub fn requeue(&self, event_id: i64, now_ms: i64) -> Result<bool, SqlError> {
        self.queue_again("", "dead_at IS NULL", event_id, now_ms)
    }

    /// Queues the row again now, with fresh attempts, if it meets `condition`; arms the alarm.
    fn queue_again(
        &self,
        also_set: &str,
        condition: &str,
        event_id: i64,
        now_ms: i64,
    ) -> Result<bool, SqlError> {
        self.store.transaction(|| {
            let rows = self.store.query(
                &format!(
                    "UPDATE outbox SET {also_set} attempts = 0, next_attempt_at = ? \
                     WHERE event_id = ? AND {condition} RETURNING event_id"
                ),
                &[now_ms.into(), event_id.into()],
            )?;
            if rows.is_empty() {
                return Ok(false);
            }
            self.store.set_alarm(now_ms)?;
            Ok(true)
        })
    }

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

    /// True while any row waits to be forwarded.
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
        let head = self.pending_head(self.policy.batch)?;
        let full_batch = head.len() == self.policy.batch;
        let count = head.len();
        for (index, row) in head.into_iter().enumerate() {
            if row.next_attempt_at.is_some_and(|at| at > now_ms) {
                break; // head of line waits for its backoff; later rows keep their order
            }
            let position = QueuePosition {
                more_pending: index + 1 < count || full_batch,
            };
            match forwarder.forward(&row, position).await {
                Ok(()) => {
                    // The first publication's time stays. A row queued again while it was
                    // being forwarded (a retry asked meanwhile) stays queued.
                    self.store.execute(
                        "UPDATE outbox SET published_at = coalesce(published_at, ?), \
                         next_attempt_at = NULL, last_error = NULL \
                         WHERE event_id = ? AND next_attempt_at IS ?",
                        &[
                            now_ms.into(),
                            row.event_id.into(),
                            row.next_attempt_at.into(),
                        ],
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
