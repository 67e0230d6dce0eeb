//! [`OverflowRing`]: an unbounded multi-producer, multi-consumer FIFO queue that allocates
//! nothing per value: a lock-free ring, and a mutex-protected overflow for backlogs that outgrow
//! it. The pool's job queue is built on it.
//!
//! Not the router's announcement channel: during a burst of submissions the main thread
//! receives nothing, so every announcement of the burst queues; a ring would overflow at once
//! and the workers would then meet on the overflow's lock for each one (measured: calls 10%
//! slower), where crossbeam's channel appends without a lock.
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
//! Publication: the last shared write of [`push`](OverflowRing::push) is `SeqCst` (the ring's
//! compare-and-swap of its tail, or the store of the overflow's length), and so are the reads
//! of `pop` on an empty queue after a `SeqCst` fence (the ring's own, or the caller's). A
//! blocking consumer that announces itself with a `SeqCst` write before its last look, and a
//! producer that reads that announcement with a `SeqCst` load after pushing, therefore never
//! miss each other: either the consumer sees the value or the producer sees the consumer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;

/// Values a consumer moves from the overflow into the ring at a time.
const REFILL: usize = 256;

/// An unbounded FIFO queue: a ring of fixed capacity, then an ordered overflow.
pub(crate) struct OverflowRing<T> {
    ring: ArrayQueue<T>,
    /// The overflow's length, readable without its lock: read by every push and by every pop
    /// that finds the ring empty, written only while the overflow is in use.
    overflowed: CachePadded<AtomicUsize>,
    /// Values that found the ring full, and every value queued while any of them is left.
    overflow: Mutex<VecDeque<T>>,
}

impl<T> OverflowRing<T> {
    /// A queue whose ring holds `capacity` values (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        OverflowRing {
            ring: ArrayQueue::new(capacity.max(1)),
            overflowed: CachePadded::new(AtomicUsize::new(0)),
            overflow: Mutex::new(VecDeque::new()),
        }
    }

    fn lock_overflow(&self) -> MutexGuard<'_, VecDeque<T>> {
        // Nothing panics while the lock is held (moves only).
        self.overflow.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut overflow = self.lock_overflow();
        overflow.push_back(value);
        self.overflowed.store(overflow.len(), Ordering::SeqCst);
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
        let mut overflow = self.lock_overflow();
        let value = overflow.pop_front();
        // Pushes go to the overflow while it is not empty, so whatever the ring holds is older
        // than the overflow: the batch goes in behind it.
        for _ in 0..REFILL {
            let Some(next) = overflow.pop_front() else {
                break;
            };
            if let Err(next) = self.ring.push(next) {
                overflow.push_front(next);
                break;
            }
        }
        self.overflowed.store(overflow.len(), Ordering::SeqCst);
        value
    }

    /// Nothing queued (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty() && self.overflowed.load(Ordering::SeqCst) == 0
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
}
