//! [`QueuedTask`]: what a pool queues and runs, whatever it is (an executor's task cell, or a
//! plain [`Job`](crate::Job) in a cell), and which still ends its future if dropped unrun.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::{drop_caught, panic_message};

/// A task cell as the pool's queue holds it, whatever the task's type.
///
/// An executor's task cells catch every panic of user code inside `run` and `abandon`
/// (`routing/runner.rs`); [`QueuedTask`] guards the calls anyway, since a plain job's may not.
pub(crate) trait Runnable: Send + Sync {
    /// Runs the task on the current (worker) thread, if it has not been taken yet.
    fn run(&self);
    /// The pool dropped the task without running it: end its future anyway.
    fn abandon(&self);
}

/// A task waiting for a worker: run it once with [`run`](Self::run). Dropped unrun (a pool
/// that discards its queue), it still ends its future: `A` if it was cancelled, `S` then
/// `X(Dropped)` otherwise, so that no future waits forever and a stopping executor can stop.
///
/// Neither running it nor dropping it ever panics, whatever user code does: a pool's worker
/// survives, and a pool's (or a refused submit's) drop path never unwinds. What the cell still
/// holds when this drops the last handle to it (a result whose future is gone) is dropped
/// under the same guard.
pub(crate) struct QueuedTask {
    cell: Option<Arc<dyn Runnable>>,
}

impl QueuedTask {
    pub(crate) fn new(cell: Arc<dyn Runnable>) -> Self {
        QueuedTask { cell: Some(cell) }
    }

    /// Runs the task on the current (worker) thread.
    pub(crate) fn run(mut self) {
        if let Some(cell) = self.cell.take() {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| cell.run())) {
                // Only a plain job's own panic gets here (a task cell catches its task's).
                let _ = panic_message(payload);
            }
            release(cell);
        }
    }
}

impl Drop for QueuedTask {
    fn drop(&mut self) {
        // Only reached with a cell when the task was dropped without running.
        if let Some(cell) = self.cell.take() {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| cell.abandon())) {
                let panic = panic_message(payload);
                log::warn!("traits-futures: dropping a job that never ran panicked: {panic}");
            }
            release(cell);
        }
    }
}

/// Drops a handle to a cell. The last one drops what the cell still holds (a result or
/// messages whose future is gone): user code, whose panic is caught and logged.
fn release(cell: Arc<dyn Runnable>) {
    if let Some(panic) = drop_caught(cell) {
        log::warn!(
            "traits-futures: dropping a finished task's undelivered values panicked: {panic}"
        );
    }
}
