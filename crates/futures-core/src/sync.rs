//! The synchronisation primitives of the cross-thread handshakes: std's in a normal build,
//! loom's under `cfg(loom)`, so that the model checker explores the real code (`tests/loom.rs`,
//! `just loom`).
//!
//! Only what the handshakes use goes through here: the pipe's queue (where the task also waits
//! for a worker) and cancel flag (`pipe_shared.rs`), the router's announcements
//! (`announcements.rs`, whose condition variable is std's: the loom build looks again instead
//! of sleeping) and coalesced wake-up (`router.rs`), and the runner's cancel check
//! (`runner.rs`, `task.rs`).
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
