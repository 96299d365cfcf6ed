//! A lane's mailbox: the run's receiving loop pushes, one lane consumes, both on the one thread
//! a Worker isolate runs. Items keep the order they were pushed in, and a lane held behind an
//! event can take that event's release out of the middle while later events stay queued.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Poll, Waker};

pub(crate) struct Mailbox<T> {
    items: RefCell<VecDeque<T>>,
    closed: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Self {
            items: RefCell::default(),
            closed: Cell::new(false),
            waker: RefCell::default(),
        }
    }
}

impl<T> Mailbox<T> {
    pub fn push(&self, item: T) {
        self.items.borrow_mut().push_back(item);
        self.wake();
    }

    /// Nothing more will be pushed: the consumer gets `None` once the mailbox is empty.
    pub fn close(&self) {
        self.closed.set(true);
        self.wake();
    }

    fn wake(&self) {
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    /// The oldest item; `None` once closed and empty.
    pub async fn next(&self) -> Option<T> {
        self.take_first(|_| true).await
    }

    /// The oldest item `wanted` accepts, leaving the others in place; `None` once closed
    /// without one. What it returns depends only on the order of pushes, never on how far
    /// the pusher had got when the consumer asked: replays of a run make the same choice.
    pub async fn take_first(&self, wanted: impl Fn(&T) -> bool) -> Option<T> {
        poll_fn(|cx| {
            let mut items = self.items.borrow_mut();
            if let Some(index) = items.iter().position(&wanted) {
                return Poll::Ready(items.remove(index));
            }
            if self.closed.get() {
                return Poll::Ready(None);
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// What is still queued, oldest first (read when a lane ends held).
    pub fn drain(&self) -> Vec<T> {
        self.items.borrow_mut().drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn items_come_out_in_order_and_close_ends_the_stream() {
        let mailbox = Mailbox::default();
        mailbox.push(1);
        mailbox.push(2);
        assert_eq!(mailbox.next().now_or_never(), Some(Some(1)));
        assert_eq!(mailbox.next().now_or_never(), Some(Some(2)));
        assert_eq!(
            mailbox.next().now_or_never(),
            None,
            "empty and open: pending"
        );
        mailbox.close();
        assert_eq!(mailbox.next().now_or_never(), Some(None));
    }

    #[test]
    fn a_wanted_item_is_taken_from_the_middle() {
        let mailbox = Mailbox::default();
        for n in [1, 2, 3, 4] {
            mailbox.push(n);
        }
        assert_eq!(
            mailbox.take_first(|n| n % 2 == 0).now_or_never(),
            Some(Some(2))
        );
        assert_eq!(mailbox.drain(), [1, 3, 4]);
        mailbox.close();
        assert_eq!(mailbox.take_first(|n| *n > 9).now_or_never(), Some(None));
    }
}
