//! The synchronisation primitives of the cross-thread handshakes: std's (and crossbeam's
//! channel) in a normal build, loom's under `cfg(loom)`, so that the model checker explores the
//! real code (`tests/loom.rs`, `just loom`).
//!
//! Only what the handshakes use goes through here: the pipe's queue (where the task also waits
//! for a worker) and cancel flag (`pipe_shared.rs`), the router's announcement channel and
//! coalesced wake-up (`router.rs`), and the runner's cancel check (`runner.rs`, `task.rs`).
//! `Arc` stays std's in both builds: loom's `Arc` cannot be coerced to a trait object
//! (`Arc<dyn CancelFlag>`, the wake hook), and the reference counts are not part of any
//! handshake.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

pub(crate) use std::sync::Arc;

/// The router's announcement channel.
#[cfg(not(loom))]
pub(crate) use ::crossbeam_channel;

/// The router's announcement channel, as loom sees it: a queue under a loom mutex, with the
/// non-blocking operations of crossbeam's unbounded channel that the router uses. crossbeam's
/// own atomics are invisible to loom, so its channel would hide the synchronisation that the
/// wake-up handshake relies on.
#[cfg(loom)]
pub(crate) mod crossbeam_channel {
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::time::Instant;

    use loom::sync::Mutex;

    type Shared<T> = Arc<Mutex<VecDeque<T>>>;

    pub(crate) struct Sender<T>(Shared<T>);
    pub(crate) struct Receiver<T>(Shared<T>);

    pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Mutex::new(VecDeque::new()));
        (Sender(Arc::clone(&shared)), Receiver(shared))
    }

    impl<T> Sender<T> {
        pub(crate) fn send(&self, value: T) -> Result<(), T> {
            self.0.lock().unwrap().push_back(value);
            Ok(())
        }
    }

    impl<T> Receiver<T> {
        pub(crate) fn try_recv(&self) -> Result<T, ()> {
            self.0.lock().unwrap().pop_front().ok_or(())
        }

        /// Blocking: spins, yielding to loom's scheduler, until a value arrives.
        pub(crate) fn recv(&self) -> Result<T, ()> {
            loop {
                if let Ok(value) = self.try_recv() {
                    return Ok(value);
                }
                loom::thread::yield_now();
            }
        }

        /// Time is not modelled: one look, like a deadline that has already passed.
        pub(crate) fn recv_deadline(&self, _deadline: Instant) -> Result<T, ()> {
            self.try_recv()
        }
    }
}
