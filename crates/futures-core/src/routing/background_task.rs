//! The background half of a task type: [`BackgroundTask`], and the [`TaskContext`] it runs with.

use crate::error::TaskCancelled;
/// What a task sends its messages through, and where it learns of a cancel; implemented by
/// the executor's pipes.
pub(crate) trait MessageSink<M> {
    fn send_custom(&self, message: M);
    fn cancelled(&self) -> bool;
}

/// What a running background task can do: send messages to its future and ask whether it was
/// cancelled. Handed to [`BackgroundTask::run`].
///
/// ```
/// use traits_futures::{TaskCancelled, TaskContext};
/// fn count_to(n: u32, context: &TaskContext<'_, u32>) -> Result<u32, TaskCancelled> {
///     for i in 1..=n {
///         context.send(i)?; // Err(TaskCancelled) once cancelled: stop here
///     }
///     Ok(n)
/// }
/// ```
pub struct TaskContext<'a, M> {
    sink: &'a dyn MessageSink<M>,
}

impl<'a, M> TaskContext<'a, M> {
    pub(crate) fn new(sink: &'a dyn MessageSink<M>) -> Self {
        TaskContext { sink }
    }

    /// Sends `message` to the future, or returns `Err(TaskCancelled)` without sending it if the
    /// task has been cancelled (the future would drop it anyway). Messages arrive in send order.
    ///
    /// ```
    /// # use traits_futures::{TaskCancelled, TaskContext};
    /// fn work(context: &TaskContext<'_, String>) -> Result<(), TaskCancelled> {
    ///     context.send("half way".to_string())?;
    ///     Ok(())
    /// }
    /// ```
    pub fn send(&self, message: M) -> Result<(), TaskCancelled> {
        if self.cancelled() {
            return Err(TaskCancelled);
        }
        self.sink.send_custom(message);
        Ok(())
    }

    /// Whether the future has been cancelled. Check it between units of work and return early.
    ///
    /// ```
    /// # use traits_futures::TaskContext;
    /// fn work(context: &TaskContext<'_, ()>) -> u32 {
    ///     let mut done = 0;
    ///     while !context.cancelled() && done < 1000 { done += 1; }
    ///     done
    /// }
    /// ```
    pub fn cancelled(&self) -> bool {
        self.sink.cancelled()
    }
}

/// The background half of a task type: the code that runs on a worker thread.
///
/// The executor sends `Started` before calling [`run`](Self::run) and `Returned`, or `Failed`,
/// after it (a panic inside `run` is caught and becomes `Failed`). If the task was cancelled
/// before a worker picked it up, `run` is never called. Everything `run` owns is dropped before
/// the final message is sent, so its cleanup has happened by the time the future is done.
///
/// ```
/// use std::convert::Infallible;
/// use traits_futures::{BackgroundTask, TaskContext};
///
/// struct Countdown(u32);
///
/// impl BackgroundTask for Countdown {
///     type Message = u32;
///     type Output = &'static str;
///     type Error = Infallible;
///     fn run(self, context: &TaskContext<'_, u32>) -> Result<&'static str, Infallible> {
///         for n in (1..=self.0).rev() {
///             if context.send(n).is_err() {
///                 return Ok("interrupted");
///             }
///         }
///         Ok("lift-off")
///     }
/// }
/// ```
pub trait BackgroundTask: Send + 'static {
    /// The custom messages the task sends.
    type Message: Send + 'static;
    /// What the task returns on success.
    type Output: Send + 'static;
    /// The task's own error type.
    type Error: Send + 'static;

    /// Runs the task on a worker thread.
    fn run(self, context: &TaskContext<'_, Self::Message>) -> Result<Self::Output, Self::Error>;
}
