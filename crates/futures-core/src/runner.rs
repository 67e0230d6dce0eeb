//! The worker side of the protocol: what a job does around a [`BackgroundTask`].
//!
//! `A` if cancelled before starting; otherwise `S`, the task, then `R` or `X`. A job that the pool
//! drops without running still ends its future (`A` if it was cancelled, `S` then
//! `X(Dropped)` otherwise), so that no future waits forever and a stopping executor can stop.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::TaskError;
use crate::message::TaskMessage;
use crate::pipe::PipeShared;
use crate::sync::Arc;
use crate::task::{BackgroundTask, TaskContext};

/// One allocation per task for everything the worker and the future share: the pipe, whose
/// queue holds the task until a worker takes it. The future's endpoint and the pool's queue
/// hold the same `Arc` (as two different trait objects), so submitting costs no separate job
/// allocation on the built-in pool.
pub(crate) type TaskCell<T> = PipeShared<
    <T as BackgroundTask>::Message,
    <T as BackgroundTask>::Output,
    <T as BackgroundTask>::Error,
    T,
>;

/// A task cell as the pool's queue holds it, whatever the task's type.
pub(crate) trait Runnable: Send + Sync {
    /// Runs the task on the current (worker) thread, if it has not been taken yet.
    fn run(&self);
    /// The pool dropped the task without running it: end its future anyway.
    fn abandon(&self);
}

impl<T: BackgroundTask> Runnable for TaskCell<T> {
    fn run(&self) {
        // Taking the task queues `S` in the same lock, unless the future was cancelled.
        let Some((task, started)) = self.take_task(true) else {
            return;
        };
        if !started {
            drop(task);
            self.send(TaskMessage::Abandoned);
            return;
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let context = TaskContext::new(self);
            task.run(&context)
        }));
        let message = match outcome {
            Ok(Ok(value)) => TaskMessage::Returned(value),
            Ok(Err(error)) => TaskMessage::Failed(TaskError::Error(error)),
            Err(payload) => TaskMessage::Failed(TaskError::Panicked(panic_message(payload))),
        };
        self.send(message);
    }

    fn abandon(&self) {
        let Some((task, _)) = self.take_task(false) else {
            return;
        };
        drop(task);
        if self.is_cancelled() {
            self.send(TaskMessage::Abandoned);
        } else {
            self.send(TaskMessage::Started);
            self.send(TaskMessage::Failed(TaskError::Dropped));
        }
    }
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

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_string(),
            Err(_) => "non-string panic payload".to_string(),
        },
    }
}
