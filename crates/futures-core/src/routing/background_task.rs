//! The background half of a task type: [`BackgroundTask`], and the [`TaskContext`] it runs with.

use std::num::NonZeroUsize;

use crate::error::TaskCancelled;

/// What a task sends its messages through, where it learns of a cancel, and where it waits;
/// implemented by the executor's pipes.
pub(crate) trait MessageSink<M> {
    /// Queues `message`, first waiting while the task is suspended or (with a `capacity`) while
    /// that many messages wait; `Err` once cancelled, at once even while waiting.
    fn send_custom(&self, message: M, capacity: Option<NonZeroUsize>) -> Result<(), TaskCancelled>;
    fn cancelled(&self) -> bool;
    /// Waits while the task is suspended; `Err` once cancelled.
    fn checkpoint(&self) -> Result<(), TaskCancelled>;
    /// Parks the calling worker while `blocked()` (which registers the thread with whoever
    /// changes its condition, as it looks, and is called again after every wake); `Err` once
    /// cancelled, at once.
    fn park_while(&self, blocked: &mut dyn FnMut() -> bool) -> Result<(), TaskCancelled>;
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
    /// The task's [`BackgroundTask::capacity`].
    capacity: Option<NonZeroUsize>,
}

impl<'a, M> TaskContext<'a, M> {
    pub(crate) fn new(sink: &'a dyn MessageSink<M>, capacity: Option<NonZeroUsize>) -> Self {
        TaskContext { sink, capacity }
    }

    /// Sends `message` to the future, or returns `Err(TaskCancelled)` without sending it if the
    /// task has been cancelled (the future would drop it anyway). Messages arrive in send order.
    ///
    /// `send` blocks the worker while the future is suspended
    /// ([`TaskFuture::suspend`](crate::TaskFuture::suspend)) and, for a task with a
    /// [`capacity`](BackgroundTask::capacity) of N, while N messages wait for the main
    /// thread; a cancel (and so an executor's stop, or its drop) ends the wait at once, and
    /// `send` then returns `Err(TaskCancelled)`.
    ///
    /// ```
    /// # use traits_futures::{TaskCancelled, TaskContext};
    /// fn work(context: &TaskContext<'_, String>) -> Result<(), TaskCancelled> {
    ///     context.send("half way".to_string())?;
    ///     Ok(())
    /// }
    /// ```
    pub fn send(&self, message: M) -> Result<(), TaskCancelled> {
        self.sink.send_custom(message, self.capacity)
    }

    /// Waits while the future is suspended
    /// ([`TaskFuture::suspend`](crate::TaskFuture::suspend)); returns `Err(TaskCancelled)` once
    /// the future is cancelled (at once, even while waiting). Call it between units of work
    /// that send nothing, so that a suspension takes effect there too.
    ///
    /// ```
    /// # use traits_futures::{TaskCancelled, TaskContext};
    /// fn crunch(blocks: &[u64], context: &TaskContext<'_, ()>) -> Result<u64, TaskCancelled> {
    ///     let mut sum = 0;
    ///     for block in blocks {
    ///         context.checkpoint()?; // stops here while suspended, ends here once cancelled
    ///         sum += block;
    ///     }
    ///     Ok(sum)
    /// }
    /// ```
    pub fn checkpoint(&self) -> Result<(), TaskCancelled> {
        self.sink.checkpoint()
    }

    /// Parks the worker while `blocked()`; see `task_input.rs`.
    pub(crate) fn park_while(
        &self,
        blocked: &mut dyn FnMut() -> bool,
    ) -> Result<(), TaskCancelled> {
        self.sink.park_while(blocked)
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
/// # Panics in task code
///
/// Whatever panics, the future still reaches a done state, stop and shutdown still complete,
/// no worker thread dies, and the panic never comes out of an executor call on the main
/// thread:
///
/// * `run` panics: the future ends `Failed` with [`TaskError::Panicked`] and the panic's
///   message. A payload that is not text gives `"non-string panic payload"`; if that payload's
///   own `Drop` panics too, the message says so (`"non-string panic payload, whose Drop
///   panicked: …"`), and a payload thrown by that `Drop` which is not text either is leaked
///   rather than dropped.
/// * The task is dropped without running (what it captured is dropped, and its `Drop`
///   panics): cancelled before a worker took it, or still queued when the executor stopped,
///   the future ends `Cancelled` as usual (the panic is logged at `warn`); dropped unrun by its
///   pool otherwise, it ends `Failed` with [`TaskError::Panicked`], whose message says that the
///   pool dropped the task and what its `Drop` panicked with (without a panic, that is
///   [`TaskError::Dropped`]). A task refused by [`submit`](crate::TraitsExecutor::submit) is
///   dropped there, and a panic of its `Drop` is caught and logged: `submit` returns its error.
/// * A value the task returned (or its error) that nobody will read, because its future was
///   dropped meanwhile, is dropped on the worker: a panic of its `Drop` is caught and logged.
///   Values that reach the main thread are dropped there, like any of the program's values: a
///   result discarded after a cancel is dropped while the event loop dispatches, and a panic
///   of its `Drop` resumes out of the dispatching call, as an observer's would.
///
/// Panicking in `Drop` is still a bug: Rust aborts the process when a `Drop` panics while its
/// thread is already unwinding (a value owned by `run` that is dropped as `run` panics), and no
/// library can catch that.
///
/// [`TaskError::Panicked`]: crate::TaskError::Panicked
/// [`TaskError::Dropped`]: crate::TaskError::Dropped
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

    /// The most custom messages that may wait for the main thread: with `Some(n)`,
    /// [`TaskContext::send`] blocks the worker while `n` messages it sent have not yet been
    /// taken by the event loop (back-pressure). `None` (the default): unbounded.
    ///
    /// "Wait" means queued by the worker and not yet taken by the main thread. The event loop
    /// takes all of a task's waiting messages at once and then hands them to the future one
    /// at a time, so up to `2 * n` may be sent and not yet delivered (`n` taken and being
    /// delivered, `n` waiting). A cancel, or the executor's stop or drop, ends a blocked
    /// `send` at once with `Err(TaskCancelled)`. Called once, on the worker, before
    /// [`run`](Self::run).
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::num::NonZeroUsize;
    /// use traits_futures::{BackgroundTask, TaskContext};
    ///
    /// /// Reads rows no faster than the GUI shows them: at most 64 wait.
    /// struct Rows(Vec<String>);
    ///
    /// impl BackgroundTask for Rows {
    ///     type Message = String;
    ///     type Output = ();
    ///     type Error = Infallible;
    ///     fn run(self, context: &TaskContext<'_, String>) -> Result<(), Infallible> {
    ///         for row in self.0 {
    ///             if context.send(row).is_err() {
    ///                 break; // cancelled
    ///             }
    ///         }
    ///         Ok(())
    ///     }
    ///     fn capacity(&self) -> Option<NonZeroUsize> {
    ///         NonZeroUsize::new(64)
    ///     }
    /// }
    /// ```
    fn capacity(&self) -> Option<NonZeroUsize> {
        None
    }
}
