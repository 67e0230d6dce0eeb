//! [`Announcements`]: the queue of pipe keys that workers announce and the main thread takes,
//! all that are pending at once.
//!
//! A worker announces a pipe when its queue goes from empty to non-empty (once per batch, see
//! `pipe_shared.rs`), so a burst of calls queues a key per call here before the main thread
//! looks. The main thread takes them all in one step, swapping its own empty queue for the
//! pending one under the lock, then reads them without synchronisation: one lock round trip per
//! drain instead of an atomic handshake per key.
//!
//! The keys are kept in a [`BlockDeque`], so a backlog grows by large blocks (a linked channel
//! would allocate many small ones), never as one buffer that doubles (see `block_deque.rs`);
//! the empty queue handed back to the workers keeps a drained block as its spare, so a steady
//! stream of announcements allocates nothing.
//!
//! The headless event loop blocks in [`wait`](Announcements::wait) until a key is pending, or
//! until another thread [`wake`](Announcements::wake)s it (the executor's `LoopWaker`: a Ctrl-C
//! handler, so that the loop re-checks its condition); a worker or a waker notifies the condition
//! variable only when the main thread is asleep on it.
//!
//! Keys that nobody takes are the sign of a program with no event loop dispatching (a window
//! whose futures stay `Waiting` for ever): an announcement that finds keys waiting for longer
//! than a limit (5 s unless the executor was built otherwise) logs a warning, once. It reads
//! the clock only when the keys go from none to some, and when their count reaches a power of
//! two: the second task that finishes unseen is the first to look.

use std::mem;
use std::time::{Duration, Instant};

use crate::block_deque::BlockDeque;
use crate::routing::pipe_key::PipeKey;
use crate::sync::{Mutex, MutexGuard};

/// The announced keys not yet taken by the main thread, and the main thread's sleep.
pub(crate) struct Announcements {
    pending: Mutex<Pending>,
    #[cfg(not(loom))]
    arrived: std::sync::Condvar,
}

struct Pending {
    keys: BlockDeque<PipeKey>,
    /// The main thread is asleep in `wait`, or about to be: the next announcement notifies it.
    sleeping: bool,
    /// A wake from outside that `wait` has not yet returned for.
    woken: bool,
    /// How many keys `keys` holds.
    count: usize,
    /// When `keys` last went from empty to not: how long the oldest key has waited.
    since: Option<Instant>,
    /// How long keys may wait untaken before a warning; `None` once warned, or if turned off.
    warn_after: Option<Duration>,
}

/// How long announced keys may wait untaken before [`Announcements`] warns, unless the
/// executor was built with another limit.
pub(crate) const DEFAULT_WARN_AFTER: Duration = Duration::from_secs(5);

impl Pending {
    /// Counts a key just queued; returns how long the oldest has waited if that is longer
    /// than the limit (once: the limit is then cleared).
    fn count_one(&mut self) -> Option<Duration> {
        self.count += 1;
        let limit = self.warn_after?;
        if self.count == 1 {
            self.since = Some(Instant::now());
            return None;
        }
        if !self.count.is_power_of_two() {
            return None;
        }
        let waited = self.since?.elapsed();
        if waited < limit {
            return None;
        }
        self.warn_after = None;
        Some(waited)
    }
}

/// Why [`Announcements::wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woke {
    /// A key is pending.
    Announced,
    /// Another thread called [`Announcements::wake`] (since the last `wait` that returned
    /// this); a key may be pending too.
    Woken,
    /// The deadline passed with no key pending.
    TimedOut,
}

impl Announcements {
    pub(crate) fn new() -> Self {
        Announcements {
            pending: Mutex::new(Pending {
                keys: BlockDeque::new(),
                sleeping: false,
                woken: false,
                count: 0,
                since: None,
                warn_after: Some(DEFAULT_WARN_AFTER),
            }),
            #[cfg(not(loom))]
            arrived: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Nothing panics while the lock is held (short of allocation failure); a poisoned
        // lock's data is consistent.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `key` for the main thread (any thread), waking it if it sleeps in `wait`.
    pub(crate) fn announce(&self, key: PipeKey) {
        let mut pending = self.lock();
        pending.keys.push_back(key);
        let waited = pending.count_one();
        let count = pending.count;
        let sleeping = mem::replace(&mut pending.sleeping, false);
        drop(pending);
        #[cfg(not(loom))]
        if sleeping {
            self.arrived.notify_one();
        }
        #[cfg(loom)]
        let _ = sleeping; // the loom build's `wait` looks again instead of sleeping
        if let Some(waited) = waited {
            log::warn!(
                "traits-futures: messages from {count} tasks have waited {:.1} s for the main \
                 thread to dispatch them: is an event loop running? Run `run_until`, call \
                 `dispatch_pending` when the wake callback asks, or spawn `dispatcher()` (the \
                 guide's troubleshooting chapter: \"the window shows Waiting for ever\")",
                waited.as_secs_f64()
            );
        }
    }

    /// Warns when keys wait untaken for longer than `after`; `None`: never (main thread, when
    /// the router is made, and when it is dropped: then nobody will take them).
    pub(crate) fn warn_after(&self, after: Option<Duration>) {
        self.lock().warn_after = after;
    }

    /// Wakes the main thread from `wait` (any thread), or makes its next `wait` return at once:
    /// [`Woke::Woken`], once per call or run of calls.
    pub(crate) fn wake(&self) {
        let mut pending = self.lock();
        pending.woken = true;
        let sleeping = mem::replace(&mut pending.sleeping, false);
        drop(pending);
        #[cfg(not(loom))]
        if sleeping {
            self.arrived.notify_one();
        }
        #[cfg(loom)]
        let _ = sleeping;
    }

    /// Whether a key is waiting to be taken.
    pub(crate) fn has_pending(&self) -> bool {
        !self.lock().keys.is_empty()
    }

    /// Moves every pending key, in announcement order, to the back of `into` (main thread).
    pub(crate) fn take_into(&self, into: &mut BlockDeque<PipeKey>) {
        let mut pending = self.lock();
        if pending.keys.is_empty() {
            return;
        }
        pending.count = 0;
        pending.since = None;
        if into.is_empty() {
            // The common case: the main thread has read all it took last time. The workers
            // get its empty queue (and the block it kept as a spare) in exchange.
            mem::swap(&mut pending.keys, into);
        } else {
            while let Some(key) = pending.keys.pop_front() {
                into.push_back(key);
            }
        }
    }

    /// Blocks until a key is pending, [`wake`](Self::wake) is called, or `deadline` passes
    /// (main thread); says which (a wake first: the caller re-checks its condition, and finds
    /// the keys pending too). The keys stay queued for [`take_into`](Self::take_into).
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Woke {
        let mut pending = self.lock();
        let arrived = loop {
            if mem::replace(&mut pending.woken, false) {
                break Woke::Woken;
            }
            if !pending.keys.is_empty() {
                break Woke::Announced;
            }
            pending.sleeping = true;
            #[cfg(not(loom))]
            {
                pending = match deadline {
                    None => self
                        .arrived
                        .wait(pending)
                        .unwrap_or_else(|p| p.into_inner()),
                    Some(deadline) => {
                        let now = Instant::now();
                        if now >= deadline {
                            break Woke::TimedOut;
                        }
                        self.arrived
                            .wait_timeout(pending, deadline - now)
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                };
            }
            #[cfg(loom)]
            {
                // Time is not modelled: a deadline has already passed after one look; without
                // one, let the other threads run and look again.
                if deadline.is_some() {
                    break Woke::TimedOut;
                }
                drop(pending);
                loom::thread::yield_now();
                pending = self.lock();
            }
        };
        pending.sleeping = false;
        arrived
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use super::{Announcements, Woke};
    use crate::block_deque::BlockDeque;
    use crate::routing::pipe_key::PipeKey;

    fn keys(n: u64) -> Vec<PipeKey> {
        (1..=n).map(PipeKey::from_bits).collect()
    }

    fn drain(deque: &mut BlockDeque<PipeKey>) -> Vec<PipeKey> {
        std::iter::from_fn(|| deque.pop_front()).collect()
    }

    #[test]
    fn keys_are_taken_in_announcement_order_whether_or_not_the_main_queue_is_empty() {
        let announcements = Announcements::new();
        let all = keys(5);
        for &key in &all[..3] {
            announcements.announce(key);
        }
        let mut taken = BlockDeque::new();
        announcements.take_into(&mut taken);
        assert_eq!(taken.pop_front(), Some(all[0]));
        for &key in &all[3..] {
            announcements.announce(key);
        }
        // Two keys are still unread: the new ones go behind them.
        announcements.take_into(&mut taken);
        assert_eq!(drain(&mut taken), all[1..].to_vec());
        announcements.take_into(&mut taken);
        assert!(taken.is_empty());
    }

    #[test]
    fn wait_returns_false_at_its_deadline_and_true_when_a_key_is_pending() {
        let announcements = Announcements::new();
        assert_eq!(
            announcements.wait(Some(Instant::now() + Duration::from_millis(1))),
            Woke::TimedOut
        );
        announcements.announce(keys(1)[0]);
        assert_eq!(announcements.wait(Some(Instant::now())), Woke::Announced);
        assert_eq!(announcements.wait(None), Woke::Announced);
    }

    #[test]
    fn an_announcement_wakes_the_main_thread_asleep_without_a_deadline() {
        let announcements = Arc::new(Announcements::new());
        let worker = {
            let announcements = Arc::clone(&announcements);
            thread::spawn(move || {
                // Announce only once the main thread is asleep, so that the notification (not
                // the first look) is what wakes it.
                while !announcements.lock().sleeping {
                    thread::yield_now();
                }
                announcements.announce(keys(1)[0]);
            })
        };
        assert_eq!(announcements.wait(None), Woke::Announced);
        worker.join().unwrap();
        let mut taken = BlockDeque::new();
        announcements.take_into(&mut taken);
        assert_eq!(drain(&mut taken), keys(1));
    }

    #[test]
    fn a_wake_from_another_thread_ends_a_wait_without_a_key_once() {
        let announcements = Arc::new(Announcements::new());
        let waker = {
            let announcements = Arc::clone(&announcements);
            thread::spawn(move || {
                while !announcements.lock().sleeping {
                    thread::yield_now();
                }
                announcements.wake();
            })
        };
        assert_eq!(announcements.wait(None), Woke::Woken);
        waker.join().unwrap();
        // Consumed: the next wait sleeps until its deadline.
        assert_eq!(announcements.wait(Some(Instant::now())), Woke::TimedOut);
        assert!(!announcements.has_pending());
    }

    #[test]
    fn a_wake_before_the_wait_is_not_lost_and_comes_before_a_pending_key() {
        let announcements = Announcements::new();
        announcements.wake();
        announcements.wake(); // a run of wakes is one
        announcements.announce(keys(1)[0]);
        assert_eq!(announcements.wait(None), Woke::Woken);
        assert_eq!(announcements.wait(None), Woke::Announced);
        assert!(announcements.has_pending());
    }
}
