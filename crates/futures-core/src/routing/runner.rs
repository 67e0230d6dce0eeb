//! The worker side of the protocol: what a job does around a [`BackgroundTask`].
//!
//! `A` if cancelled before starting; otherwise `S`, the task, then `R` or `X`. A job that the pool
//! drops without running still ends its future (`A` if it was cancelled, `S` then
//! `X(Dropped)` otherwise), so that no future waits forever and a stopping executor can stop.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::TaskError;
use crate::pool::queued_task::Runnable;
use crate::routing::background_task::{BackgroundTask, TaskContext};
use crate::routing::message::TaskMessage;
use crate::routing::pipe::PipeShared;

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
