//! [`OverflowRing`]: an unbounded multi-producer, multi-consumer FIFO queue that allocates
//! nothing per value: a lock-free ring, and a mutex-protected overflow for backlogs that outgrow
//! it. The pool's job queue is built on it.
//!
//! Not the router's announcements: during a burst of submissions the main thread takes none,
//! so every announcement of the burst queues; a ring would overflow at once and its refills
//! would only add work. The announcements are a plain queue under one lock that the main
//! thread takes whole (`announcements.rs`).
//!
//! Why a ring: a linked-block queue (crossbeam's channel) has the producing thread allocate a
//! block every few dozen values and a consuming thread free it; with glibc, a free of another
//! thread's memory takes that thread's arena lock, so producer and consumer wait on each
//! other, and every block is memory to fault in. The ring (crossbeam's `ArrayQueue`) is
//! allocated once and hands a value over with one compare-and-swap on each side.
//!
//! Order: values come out in the order each thread queued them. A value that finds the ring
//! full goes to the overflow, and so does every value queued while the overflow is not empty;
//! `pop` takes from the ring first (older values) and, when it is empty, from the overflow,
//! moving a batch of it into the ring as it goes.
//!
//! The overflow's storage is two [`BlockDeque`]s, not `VecDeque`s: a backlog of a million jobs
//! must not live in one buffer that doubles as it grows and is freed in one piece (see
//! `block_deque.rs` for what that costs with glibc).
//!
//! The overflow is two deques, so that producers never wait for a consumer's refill: producers
//! append to `incoming` under its own lock, and consumers take from `outgoing` under theirs,
//! swapping the two deques (under both locks, a constant-time move) when `outgoing` runs dry.
//! With one lock for both, a producer pushing into a backlog waited for every refill in
//! progress. Order holds: `outgoing` is older than `incoming`, and values stay counted in
//! `overflowed` until they are in the ring, so a push goes to the ring only once everything
//! queued before it is there.
//!
//! Publication: the last shared write of [`push`](OverflowRing::push) is `SeqCst` (the ring's
//! compare-and-swap of its tail, or the increment of the overflow's count), and so are the
//! reads of `pop` on an empty queue after a `SeqCst` fence (the ring's own, or the caller's). A
//! blocking consumer that announces itself with a `SeqCst` write before its last look, and a
//! producer that reads that announcement with a `SeqCst` load after pushing, therefore never
//! miss each other: either the consumer sees the value or the producer sees the consumer.
//!
//! Under the model checker (`cfg(loom)`) the job queue uses `loom_stand_in::OverflowRing`
//! instead, and the ring above goes unused in that build.
#![cfg_attr(loom, allow(dead_code))]

use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;

use crate::block_deque::BlockDeque;

/// Values a consumer moves from the overflow into the ring at a time.
const REFILL: usize = 256;

/// An unbounded FIFO queue: a ring of fixed capacity, then an ordered overflow.
pub(crate) struct OverflowRing<T> {
    ring: ArrayQueue<T>,
    /// Values in the overflow (both deques): read by every push and by every pop that finds
    /// the ring empty, written only while the overflow is in use. A value leaves the count
    /// once it is in the ring (or taken).
    overflowed: CachePadded<AtomicUsize>,
    /// The newest part of the overflow, which producers append to.
    incoming: Mutex<BlockDeque<T>>,
    /// The oldest part of the overflow, which consumers take from; held by at most one
    /// consumer at a time (a refill), never by a producer.
    outgoing: Mutex<BlockDeque<T>>,
}

/// Locks a deque; nothing panics while one is held (moves only).
fn lock<T>(deque: &Mutex<BlockDeque<T>>) -> MutexGuard<'_, BlockDeque<T>> {
    deque.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T> OverflowRing<T> {
    /// A queue whose ring holds `capacity` values (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        OverflowRing {
            ring: ArrayQueue::new(capacity.max(1)),
            overflowed: CachePadded::new(AtomicUsize::new(0)),
            incoming: Mutex::new(BlockDeque::new()),
            outgoing: Mutex::new(BlockDeque::new()),
        }
    }

    /// Queues `value`; its last shared write is `SeqCst` (see the module's documentation).
    pub(crate) fn push(&self, value: T) {
        let value = match self.overflowed.load(Ordering::Acquire) {
            0 => match self.ring.push(value) {
                Ok(()) => return,
                Err(value) => value,
            },
            _ => value,
        };
        let mut incoming = lock(&self.incoming);
        incoming.push_back(value);
        // Counted under the lock: a consumer that swaps the deque in sees the count with it.
        self.overflowed.fetch_add(1, Ordering::SeqCst);
    }

    /// The oldest value, if any: from the ring, or else from the overflow (moving the next
    /// batch of the overflow into the ring meanwhile).
    pub(crate) fn pop(&self) -> Option<T> {
        if let Some(value) = self.ring.pop() {
            return Some(value);
        }
        if self.overflowed.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut outgoing = lock(&self.outgoing);
        // Another consumer may have refilled the ring while this one waited: its batch is
        // older than what is left in the overflow.
        if let Some(value) = self.ring.pop() {
            return Some(value);
        }
        if outgoing.is_empty() {
            // Both deques are FIFO and `outgoing` (empty) was older: take `incoming` whole.
            mem::swap(&mut *outgoing, &mut *lock(&self.incoming));
        }
        let value = outgoing.pop_front();
        let mut moved = usize::from(value.is_some());
        // Pushes go to the overflow while it is counted, so whatever the ring holds is older
        // than the overflow: the batch goes in behind it.
        while moved < REFILL {
            let Some(next) = outgoing.pop_front() else {
                break;
            };
            if let Err(next) = self.ring.push(next) {
                outgoing.push_front(next);
                break;
            }
            moved += 1;
        }
        // Only now: until the batch is in the ring, pushes keep going behind it.
        self.overflowed.fetch_sub(moved, Ordering::SeqCst);
        value
    }

    /// Nothing queued (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty() && self.overflowed.load(Ordering::SeqCst) == 0
    }
}

/// The model checker's stand-in for the ring (`cfg(loom)`): loom sees neither crossbeam's
/// atomics nor this module's std mutexes, so the job queue's models (`job_queue.rs`,
/// `loom_models`) run on a queue built from loom's primitives.
///
/// What it keeps of `OverflowRing`'s contract: FIFO order; a `push` whose publishing write
/// (the length, as the ring's compare-and-swap of its tail) is `SeqCst`; a `pop` and an
/// `is_empty` that, on an empty queue, read that length with `SeqCst` and take no lock (the
/// length is a `sync::seq_cst` atomic, whose `SeqCst` accesses loom orders totally). What it
/// does not keep: it is not lock-free (a pop of a value takes a loom mutex), has no capacity and
/// no overflow, so the ring, the overflow's order and its refills are not model-checked; their
/// correctness is crossbeam's (`ArrayQueue`) and this module's own tests'.
#[cfg(loom)]
pub(crate) mod loom_stand_in {
    use std::collections::VecDeque;

    use crate::sync::seq_cst::AtomicUsize;
    use crate::sync::{Mutex, MutexGuard, Ordering};

    /// A FIFO queue under a loom mutex, with its length published in a loom atomic.
    pub(crate) struct OverflowRing<T> {
        values: Mutex<VecDeque<T>>,
        /// `values.len()`, written under the lock.
        len: AtomicUsize,
    }

    impl<T> OverflowRing<T> {
        pub(crate) fn new(_capacity: usize) -> Self {
            OverflowRing {
                values: Mutex::new(VecDeque::new()),
                len: AtomicUsize::new(0),
            }
        }

        fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
            self.values.lock().unwrap_or_else(|p| p.into_inner())
        }

        pub(crate) fn push(&self, value: T) {
            let mut values = self.lock();
            values.push_back(value);
            self.len.store(values.len(), Ordering::SeqCst);
        }

        pub(crate) fn pop(&self) -> Option<T> {
            if self.len.load(Ordering::SeqCst) == 0 {
                return None;
            }
            let mut values = self.lock();
            let value = values.pop_front();
            self.len.store(values.len(), Ordering::SeqCst);
            value
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.len.load(Ordering::SeqCst) == 0
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::OverflowRing;

    #[test]
    fn values_beyond_the_ring_overflow_and_still_come_out_in_order() {
        let queue = OverflowRing::new(8);
        let total = 3 * 8 + 5;
        for i in 0..total {
            queue.push(i);
        }
        // Popping moves a batch of the overflow into the ring; push more meanwhile.
        let mut taken: Vec<_> = (0..11).map(|_| queue.pop().unwrap()).collect();
        for i in total..total + 5 {
            queue.push(i);
        }
        taken.extend(std::iter::from_fn(|| queue.pop()));
        assert_eq!(taken, (0..total + 5).collect::<Vec<_>>());
        assert!(queue.is_empty());
    }

    #[test]
    fn once_drained_the_ring_is_used_again() {
        let queue = OverflowRing::new(2);
        for i in 0..5 {
            queue.push(i);
        }
        let drained: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(drained, vec![0, 1, 2, 3, 4]);
        queue.push(5);
        assert_eq!(
            queue.overflowed.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert_eq!(queue.pop(), Some(5));
    }

    #[test]
    fn a_push_into_the_overflow_does_not_wait_for_a_refill() {
        use std::sync::{mpsc, Arc};
        use std::time::Duration;

        let queue = Arc::new(OverflowRing::new(2));
        for i in 0..5 {
            queue.push(i);
        }
        // A consumer in the middle of a refill holds `outgoing`; a producer must not wait.
        let refilling = super::lock(&queue.outgoing);
        let (done, pushed) = mpsc::channel();
        let producer = std::thread::spawn({
            let queue = Arc::clone(&queue);
            move || {
                for i in 5..10 {
                    queue.push(i);
                }
                done.send(()).unwrap();
            }
        });
        assert_eq!(
            pushed.recv_timeout(Duration::from_secs(30)),
            Ok(()),
            "the producer waited for the consumers' lock"
        );
        drop(refilling);
        producer.join().unwrap();
        let drained: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(drained, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn competing_consumers_each_see_one_producers_values_in_order_and_exactly_once() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        const VALUES: usize = 100_000;
        // A small ring, so that the overflow and its refills are in play all the time.
        let queue = Arc::new(OverflowRing::new(4));
        let finished = Arc::new(AtomicBool::new(false));
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (queue, finished) = (Arc::clone(&queue), Arc::clone(&finished));
                std::thread::spawn(move || {
                    let mut taken = Vec::new();
                    loop {
                        match queue.pop() {
                            Some(value) => taken.push(value),
                            None if finished.load(Ordering::SeqCst) && queue.is_empty() => {
                                return taken
                            }
                            None => std::thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        for value in 0..VALUES {
            queue.push(value);
        }
        finished.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for consumer in consumers {
            let taken = consumer.join().unwrap();
            assert!(
                taken.windows(2).all(|pair| pair[0] < pair[1]),
                "a consumer took a value older than one it had taken"
            );
            all.extend(taken);
        }
        all.sort_unstable();
        assert_eq!(all, (0..VALUES).collect::<Vec<_>>());
    }
}
