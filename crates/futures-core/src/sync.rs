//! The synchronisation primitives of the cross-thread handshakes: std's in a normal build,
//! loom's under `cfg(loom)`, so that the model checker explores the real code (`tests/loom.rs`,
//! `just loom`).
//!
//! Only what the handshakes use goes through here: the pipe's queue (where the task also waits
//! for a worker) and cancel flag (`pipe_shared.rs`), the router's announcements
//! (`announcements.rs`, whose condition variable is std's: the loom build looks again instead
//! of sleeping) and coalesced wake-up (`router.rs`), a waiting worker's park and unpark
//! (`pipe_shared.rs`, `task_input.rs`), the runner's cancel check
//! (`runner.rs`, `task.rs`), and the built-in pool's job queue (`job_queue.rs`, whose
//! atomics are `seq_cst`'s).
//! `Arc` stays std's in both builds: loom's `Arc` cannot be coerced to a trait object
//! (`Arc<dyn CancelFlag>`, the wake hook), and the reference counts are not part of any
//! handshake.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
/// A worker that must wait (its queue full, its task suspended, its input empty) parks; the
/// main side unparks it (`pipe_shared.rs`, `task_input.rs`).
#[cfg(not(loom))]
pub(crate) use std::thread::{current, park, Thread};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread::{current, park, Thread};

pub(crate) use std::sync::Arc;

/// Atomics for handshakes that rest on the single total order of `SeqCst` operations: std's;
/// under loom, loom's with every `SeqCst` load and store done as a read-modify-write.
///
/// Why: loom treats `SeqCst` loads and stores as `AcqRel` (its README, "Unsupported
/// features"; loom issue #180), so a `SeqCst` load may read a value older than a `SeqCst`
/// store that loom ran before it, which the total order forbids. The job queue's handshakes
/// are store-buffering pairs (each side writes one location, then reads the other, all
/// `SeqCst`: a worker's sleeper count against a push's job, `closed` against `pushing`), and
/// on loom's plain atomics its models report a lost wake-up and a lost job that the total order
/// rules out. A read-modify-write reads the newest value, so with every `SeqCst` access done as
/// one, those accesses take effect in the order loom runs them: one total order, consistent
/// with each thread's program order, as in C++. A load becomes `fetch_add(0, Acquire)`
/// (`fetch_or(false, Acquire)`) and a store `swap(_, Release)`, so neither synchronizes more
/// than its ordering says. Other orderings and read-modify-writes are loom's own, so a
/// `SeqCst` weakened to `Acquire` is still caught (tried: the pusher's read of `unsignalled`).
/// What the models cannot tell: whether a fence beyond that order is needed; they pass with the
/// `SeqCst` fence in `JobQueue::pop` removed.
pub(crate) mod seq_cst {
    #[cfg(not(loom))]
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize};

    #[cfg(loom)]
    pub(crate) use self::loom_total::{AtomicBool, AtomicUsize};

    #[cfg(loom)]
    mod loom_total {
        use std::sync::atomic::Ordering;

        use loom::sync::atomic;

        /// loom's `AtomicUsize`, with `SeqCst` loads and stores as read-modify-writes.
        pub(crate) struct AtomicUsize(atomic::AtomicUsize);

        impl AtomicUsize {
            #[track_caller]
            pub(crate) fn new(value: usize) -> Self {
                AtomicUsize(atomic::AtomicUsize::new(value))
            }

            #[track_caller]
            pub(crate) fn load(&self, order: Ordering) -> usize {
                match order {
                    Ordering::SeqCst => self.0.fetch_add(0, Ordering::Acquire),
                    _ => self.0.load(order),
                }
            }

            #[track_caller]
            pub(crate) fn store(&self, value: usize, order: Ordering) {
                match order {
                    Ordering::SeqCst => drop(self.0.swap(value, Ordering::Release)),
                    _ => self.0.store(value, order),
                }
            }

            #[track_caller]
            pub(crate) fn fetch_add(&self, value: usize, order: Ordering) -> usize {
                self.0.fetch_add(value, order)
            }

            #[track_caller]
            pub(crate) fn fetch_sub(&self, value: usize, order: Ordering) -> usize {
                self.0.fetch_sub(value, order)
            }
        }

        /// loom's `AtomicBool`, with `SeqCst` loads and stores as read-modify-writes.
        pub(crate) struct AtomicBool(atomic::AtomicBool);

        impl AtomicBool {
            #[track_caller]
            pub(crate) fn new(value: bool) -> Self {
                AtomicBool(atomic::AtomicBool::new(value))
            }

            #[track_caller]
            pub(crate) fn load(&self, order: Ordering) -> bool {
                match order {
                    Ordering::SeqCst => self.0.fetch_or(false, Ordering::Acquire),
                    _ => self.0.load(order),
                }
            }

            #[track_caller]
            pub(crate) fn store(&self, value: bool, order: Ordering) {
                match order {
                    Ordering::SeqCst => drop(self.0.swap(value, Ordering::Release)),
                    _ => self.0.store(value, order),
                }
            }
        }
    }
}
