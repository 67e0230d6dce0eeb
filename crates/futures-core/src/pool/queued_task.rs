//! [`QueuedTask`]: what a pool queues and runs, whatever it is (an executor's task cell, or a
//! plain [`Job`](crate::Job) in a cell), and which still ends its future if dropped unrun.

use std::sync::Arc;

/// A task cell as the pool's queue holds it, whatever the task's type.
pub(crate) trait Runnable: Send + Sync {
    /// Runs the task on the current (worker) thread, if it has not been taken yet.
    fn run(&self);
    /// The pool dropped the task without running it: end its future anyway.
    fn abandon(&self);
}

/// A task waiting for a worker: run it once with [`run`](Self::run). Dropped unrun (a pool
/// that discards its queue), it still ends its future: `A` if it was cancelled, `S` then
/// `X(Dropped)` otherwise, so that no future waits forever and a stopping executor can stop.
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
            cell.run();
        }
    }
}

impl Drop for QueuedTask {
    fn drop(&mut self) {
        // Only reached with a cell when the task was dropped without running.
        if let Some(cell) = self.cell.take() {
            cell.abandon();
        }
    }
}
