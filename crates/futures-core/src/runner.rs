//! The worker side of the protocol: what a job does around a [`BackgroundTask`].
//!
//! `A` if cancelled before starting; otherwise `S`, the task, then `R` or `X`. A job that the pool
//! drops without running still ends its future (`A` if it was cancelled, `S` then
//! `X(Dropped)` otherwise), so that no future waits forever and a stopping executor can stop.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::TaskError;
use crate::message::TaskMessage;
use crate::pipe::PipeSender;
use crate::sync::Ordering;
use crate::task::{BackgroundTask, TaskContext};

type Sender<T> = PipeSender<
    <T as BackgroundTask>::Message,
    <T as BackgroundTask>::Output,
    <T as BackgroundTask>::Error,
>;

/// A task waiting for a worker, with the pipe to its future.
pub(crate) struct TaskRunner<T: BackgroundTask> {
    task: Option<(T, Sender<T>)>,
}

impl<T: BackgroundTask> TaskRunner<T> {
    pub(crate) fn new(task: T, sender: Sender<T>) -> Self {
        TaskRunner {
            task: Some((task, sender)),
        }
    }

    /// Runs the task on the current (worker) thread.
    pub(crate) fn run(mut self) {
        let Some((task, sender)) = self.task.take() else {
            return;
        };
        let cancelled = &sender.shared().cancelled;
        if cancelled.load(Ordering::Acquire) {
            drop(task);
            sender.send(TaskMessage::Abandoned);
            return;
        }
        sender.send(TaskMessage::Started);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let context = TaskContext::new(&sender, cancelled);
            task.run(&context)
        }));
        let message = match outcome {
            Ok(Ok(value)) => TaskMessage::Returned(value),
            Ok(Err(error)) => TaskMessage::Failed(TaskError::Error(error)),
            Err(payload) => TaskMessage::Failed(TaskError::Panicked(panic_message(payload))),
        };
        sender.send(message);
    }
}

impl<T: BackgroundTask> Drop for TaskRunner<T> {
    fn drop(&mut self) {
        // Only reached with a task when the pool dropped the job without running it.
        if let Some((task, sender)) = self.task.take() {
            drop(task);
            if sender.shared().cancelled.load(Ordering::Acquire) {
                sender.send(TaskMessage::Abandoned);
            } else {
                sender.send(TaskMessage::Started);
                sender.send(TaskMessage::Failed(TaskError::Dropped));
            }
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
