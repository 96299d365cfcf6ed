//! The outbox engine over an in-process SQLite: atomic commit, in-order forwarding, retries
//! with backoff, dead letters and replay.

use serde_json::json;
use sluice::native::SqliteStore;
use sluice::outbox::{
    ForwardError, Forwarder, NewEvent, Outbox, OutboxPolicy, OutboxRow, QueuePosition,
};
use sluice::sql::{SqlError, SqlStore};
use std::cell::RefCell;
use std::collections::VecDeque;

/// Records what it was handed; fails while scripted failures remain.
#[derive(Default)]
struct Recorder {
    delivered: RefCell<Vec<i64>>,
    failures: RefCell<VecDeque<String>>,
}

impl Recorder {
    fn failing(times: usize) -> Self {
        let r = Recorder::default();
        r.failures
            .borrow_mut()
            .extend((0..times).map(|i| format!("engine unavailable #{i}")));
        r
    }
}

#[async_trait::async_trait(?Send)]
impl Forwarder for Recorder {
    async fn forward(&self, row: &OutboxRow, _: QueuePosition) -> Result<(), ForwardError> {
        if let Some(message) = self.failures.borrow_mut().pop_front() {
            return Err(ForwardError(message));
        }
        self.delivered.borrow_mut().push(row.event_id);
        Ok(())
    }
}

fn store() -> SqliteStore {
    let store = SqliteStore::in_memory();
    store
        .execute(
            "CREATE TABLE state (id INTEGER PRIMARY KEY, value TEXT NOT NULL)",
            &[],
        )
        .unwrap();
    Outbox::new(&store, OutboxPolicy::default())
        .migrate()
        .unwrap();
    store
}

/// The write path of an aggregate: state and event in one transaction.
fn commit(store: &SqliteStore, value: &str, now: i64) -> Result<i64, SqlError> {
    let outbox = Outbox::new(store, OutboxPolicy::default());
    store.transaction(|| {
        store.execute(
            "INSERT INTO state (id, value) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET value = excluded.value",
            &[value.into()],
        )?;
        outbox.append_with(
            NewEvent { event_type: "CHANGED", data: &json!({ "value": value }) },
            now,
            |event_id| Ok(Some(json!({ "value": value, "event_id": event_id }).to_string())),
        )
    })
}

fn state(store: &SqliteStore) -> Option<String> {
    store
        .query("SELECT value FROM state WHERE id = 1", &[])
        .unwrap()
        .first()
        .map(|r| r["value"].as_str().unwrap().to_owned())
}

#[test]
fn commit_writes_state_row_and_alarm_together() {
    let store = store();
    let id = commit(&store, "a", 1_000).unwrap();
    assert_eq!(state(&store).as_deref(), Some("a"));
    let timeline = Outbox::new(&store, OutboxPolicy::default())
        .timeline()
        .unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].event_id, id);
    assert_eq!(
        timeline[0].snapshot,
        Some(json!({ "value": "a", "event_id": timeline[0].event_id }))
    );
    assert_eq!(timeline[0].published_at, None);
    assert_eq!(store.alarm(), Some(1_000));
}

#[test]
fn a_failing_outbox_insert_rolls_back_state_and_alarm() {
    let store = store();
    store.fail_next_statement_containing("INSERT INTO outbox");
    assert!(commit(&store, "a", 1_000).is_err());
    assert_eq!(state(&store), None, "state write was rolled back");
    assert!(Outbox::new(&store, OutboxPolicy::default())
        .timeline()
        .unwrap()
        .is_empty());
    assert_eq!(store.alarm(), None, "alarm was rolled back");
}

#[test]
fn a_failing_state_write_leaves_no_outbox_row() {
    let store = store();
    commit(&store, "a", 1_000).unwrap();
    store.take_alarm();
    store.fail_next_statement_containing("INSERT INTO state");
    assert!(commit(&store, "b", 2_000).is_err());
    assert_eq!(state(&store).as_deref(), Some("a"));
    assert_eq!(
        Outbox::new(&store, OutboxPolicy::default())
            .timeline()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.alarm(), None);
}

#[test]
fn rows_are_forwarded_in_order_and_marked_published() {
    let store = store();
    let ids: Vec<i64> = ["a", "b", "c"]
        .iter()
        .map(|v| commit(&store, v, 1_000).unwrap())
        .collect();
    let outbox = Outbox::new(&store, OutboxPolicy::default());
    let recorder = Recorder::default();
    let report = pollster::block_on(outbox.forward_due(&recorder, 1_500)).unwrap();
    assert_eq!(*recorder.delivered.borrow(), ids);
    assert_eq!(report.forwarded, ids);
    assert_eq!(report.next_alarm_at, None, "nothing left, no re-arm");
    assert!(outbox
        .timeline()
        .unwrap()
        .iter()
        .all(|r| r.published_at == Some(1_500)));
    assert!(!outbox.has_pending().unwrap());
    // A second pass forwards nothing again.
    let again = pollster::block_on(outbox.forward_due(&recorder, 2_000)).unwrap();
    assert!(again.forwarded.is_empty());
}

#[test]
fn a_failure_keeps_the_row_and_everything_after_it_until_the_retry() {
    let store = store();
    let ids: Vec<i64> = ["a", "b"]
        .iter()
        .map(|v| commit(&store, v, 1_000).unwrap())
        .collect();
    let outbox = Outbox::new(&store, OutboxPolicy::default());
    let recorder = Recorder::failing(2);

    let first = pollster::block_on(outbox.forward_due(&recorder, 1_000)).unwrap();
    assert_eq!(
        first.failed,
        vec![(ids[0], "engine unavailable #0".to_owned())]
    );
    assert!(
        recorder.delivered.borrow().is_empty(),
        "later rows wait behind the failed head"
    );
    // Backoff 500 ms after the first failure; the pass re-armed the alarm for it.
    assert_eq!(first.next_alarm_at, Some(1_500));
    assert_eq!(store.alarm(), Some(1_500));
    let head = &outbox.timeline().unwrap()[0];
    assert_eq!((head.attempts, head.published_at), (1, None));
    assert_eq!(head.last_error.as_deref(), Some("engine unavailable #0"));

    // Too early: nothing is tried.
    let early = pollster::block_on(outbox.forward_due(&recorder, 1_200)).unwrap();
    assert!(early.failed.is_empty() && early.forwarded.is_empty());

    let second = pollster::block_on(outbox.forward_due(&recorder, 1_500)).unwrap();
    assert_eq!(
        second.next_alarm_at,
        Some(2_500),
        "exponential: 1 s after the second failure"
    );

    let third = pollster::block_on(outbox.forward_due(&recorder, 2_500)).unwrap();
    assert_eq!(third.forwarded, ids);
    assert_eq!(*recorder.delivered.borrow(), ids);
    assert_eq!(outbox.timeline().unwrap()[0].attempts, 2);
}

#[test]
fn after_the_attempt_limit_a_row_is_dead_lettered_kept_and_replayable() {
    let store = store();
    let policy = OutboxPolicy {
        max_attempts: 2,
        ..OutboxPolicy::default()
    };
    let first = commit(&store, "a", 0).unwrap();
    let second = commit(&store, "b", 0).unwrap();
    let outbox = Outbox::new(&store, policy);
    let recorder = Recorder::failing(2);

    pollster::block_on(outbox.forward_due(&recorder, 0)).unwrap();
    let report = pollster::block_on(outbox.forward_due(&recorder, 10_000)).unwrap();
    assert_eq!(report.dead_lettered, vec![first]);
    assert_eq!(
        report.forwarded,
        vec![second],
        "later rows proceed past a dead letter"
    );
    let dead = outbox.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].event_id, dead[0].attempts, dead[0].published_at),
        (first, 2, None)
    );

    assert!(outbox.replay(first, 20_000).unwrap());
    assert!(
        !outbox.replay(first, 20_000).unwrap(),
        "only dead rows replay"
    );
    assert_eq!(store.alarm(), Some(20_000));
    let replayed = pollster::block_on(outbox.forward_due(&recorder, 20_000)).unwrap();
    assert_eq!(replayed.forwarded, vec![first]);
    assert!(outbox.dead_letters().unwrap().is_empty());
}

#[test]
fn a_large_backlog_is_forwarded_in_batches_with_the_alarm_re_armed() {
    let store = store();
    for i in 0..120 {
        commit(&store, &format!("v{i}"), 0).unwrap();
    }
    let outbox = Outbox::new(&store, OutboxPolicy::default());
    let recorder = Recorder::default();
    let first = pollster::block_on(outbox.forward_due(&recorder, 5)).unwrap();
    assert_eq!(first.forwarded.len(), 50);
    assert_eq!(
        first.next_alarm_at,
        Some(5),
        "work remains: re-armed for now"
    );
    pollster::block_on(outbox.forward_due(&recorder, 6)).unwrap();
    pollster::block_on(outbox.forward_due(&recorder, 7)).unwrap();
    let delivered = recorder.delivered.borrow();
    assert_eq!(delivered.len(), 120);
    assert!(
        delivered.windows(2).all(|w| w[0] < w[1]),
        "strictly in event order"
    );
}
