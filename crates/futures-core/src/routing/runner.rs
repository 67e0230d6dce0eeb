//! The worker side of the protocol: what a job does around a [`BackgroundTask`].
//!
//! `A` if cancelled before starting; otherwise `S`, the task, then `R` or `X`. A job that the pool
//! drops without running still ends its future (`A` if it was cancelled, `S` then
//! `X(Dropped)` otherwise), so that no future waits forever and a stopping executor can stop.
//!
//! User code that runs here (the task, its `Drop` when it is dropped unrun, a panic payload's
//! `Drop`) may panic: each is caught, and the message that ends the future is sent anyway, so
//! that neither run nor abandon ever unwinds into the pool. A task dropped unrun whose `Drop`
//! panics still ends `Cancelled` if it was cancelled (the panic is logged), and otherwise
//! `Failed` with [`TaskError::Panicked`] naming both what happened and the panic.

use std::panic::{self, AssertUnwindSafe};

use crate::error::{drop_caught, panic_message, TaskError};
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
            // Cancelled before it started: whatever the task's `Drop` does, the future ends
            // `Cancelled` (the machine allows nothing else after a cancel).
            if let Some(panic) = drop_caught(task) {
                log::warn!(
                    "traits-futures: dropping a cancelled task that never ran panicked: {panic}"
                );
            }
            self.send(TaskMessage::Abandoned);
            return;
        }
        // The task is consumed inside: its `Drop` runs before the final message, under the
        // same guard as its `run`. A payload whose own `Drop` panics is dealt with by
        // `panic_message`.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let context = TaskContext::new(self, task.capacity());
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
        let panic = drop_caught(task);
        if self.is_cancelled() {
            if let Some(panic) = panic {
                log::warn!(
                    "traits-futures: dropping a cancelled task that never ran panicked: {panic}"
                );
            }
            self.send(TaskMessage::Abandoned);
        } else {
            let error = match panic {
                None => TaskError::Dropped,
                Some(panic) => TaskError::Panicked(format!(
                    "the worker pool dropped the task without running it, and its Drop panicked: {panic}"
                )),
            };
            self.send(TaskMessage::Started);
            self.send(TaskMessage::Failed(error));
        }
    }
}
