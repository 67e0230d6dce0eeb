//! Error types.

use std::any::Any;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use thiserror::Error;

use crate::state::{ExecutorState, FutureState, Input};

/// Returned by progress reporting and by [`TaskContext::send`](crate::TaskContext::send) once
/// the task has been cancelled, so that `?` ends the task. The future then ends `Cancelled`,
/// not `Failed`.
///
/// ```
/// use traits_futures::TaskCancelled;
/// fn step(cancelled: bool) -> Result<u32, TaskCancelled> {
///     if cancelled { Err(TaskCancelled) } else { Ok(1) }
/// }
/// assert_eq!(step(true), Err(TaskCancelled));
/// assert_eq!(TaskCancelled.to_string(), "the task was cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
#[error("the task was cancelled")]
pub struct TaskCancelled;

/// A value sent to a task's input ([`InputSender::send`](crate::InputSender::send)) after the
/// task dropped its receiver (it ended, or never will read again). The value is handed back.
///
/// ```
/// use traits_futures::{task_input, InputClosed};
/// let (queries, receiver) = task_input::<String>();
/// drop(receiver); // the task ended
/// let InputClosed(query) = queries.send("rust".to_string()).unwrap_err();
/// assert_eq!(query, "rust");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("the task's input is closed (its receiver was dropped: the task ended); the value is handed back")]
pub struct InputClosed<T>(pub T);

impl<T> std::fmt::Debug for InputClosed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputClosed").finish_non_exhaustive()
    }
}

/// Why a task failed, as seen on the main thread: the payload of a `Failed` future.
///
/// A task fails when it panics, when it returns `Err(e)` (for fallible tasks: `e` arrives here
/// as the task's own error type, [`TaskError::Error`]), or when the worker pool dropped it
/// without running it.
///
/// ```
/// use traits_futures::TaskError;
/// let err: TaskError<std::num::ParseIntError> = TaskError::Error("x".parse::<i32>().unwrap_err());
/// assert!(matches!(err, TaskError::Error(_)));
/// let panic: TaskError<String> = TaskError::Panicked("boom".into());
/// assert_eq!(panic.to_string(), "the task panicked: boom");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TaskError<E> {
    /// The task panicked; the panic message (or a placeholder for a non-string payload).
    /// Also a panic in the `Drop` of a task that its pool dropped without running it; the
    /// message then says so (see [`BackgroundTask`](crate::BackgroundTask), "Panics in task
    /// code").
    #[error("the task panicked: {0}")]
    Panicked(String),
    /// The task returned `Err` with its own error value.
    #[error("the task returned an error: {0}")]
    Error(E),
    /// The worker pool dropped the task without running it (it was shut down first).
    #[error("the worker pool dropped the task without running it")]
    Dropped,
}

impl<E> TaskError<E> {
    /// The task's own error, if it returned one (rather than panicking).
    ///
    /// ```
    /// let err: traits_futures::TaskError<u8> = traits_futures::TaskError::Error(7);
    /// assert_eq!(err.as_error(), Some(&7));
    /// ```
    pub fn as_error(&self) -> Option<&E> {
        match self {
            TaskError::Error(e) => Some(e),
            _ => None,
        }
    }

    /// The panic message, if the task panicked.
    ///
    /// ```
    /// let err: traits_futures::TaskError<()> = traits_futures::TaskError::Panicked("oops".into());
    /// assert_eq!(err.panic_message(), Some("oops"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            TaskError::Panicked(m) => Some(m),
            _ => None,
        }
    }
}

/// Why a group ([`when_all`](crate::when_all), [`when_any`](crate::when_any)) failed: the
/// group's error is `TaskError::Error(GroupError)`.
///
/// ```
/// use traits_futures::{when_any, CallFuture, GroupError, Losers, TaskError};
/// let none: [CallFuture<()>; 0] = [];
/// let group = when_any(&none, Losers::Keep);
/// assert_eq!(group.error(), Ok(&TaskError::Error(GroupError::NoneCompleted)));
/// assert_eq!(GroupError::MemberFailed { index: 2 }.to_string(), "member 2 of the group failed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
pub enum GroupError {
    /// A member of a [`when_all`](crate::when_all) group failed (the first to fail; its
    /// index in the order given). Read its error from the member.
    #[error("member {index} of the group failed")]
    MemberFailed {
        /// The failed member's position among the group's members.
        index: usize,
    },
    /// Every member of a [`when_any`](crate::when_any) group ended, and none completed.
    #[error("no member of the group completed")]
    NoneCompleted,
}

/// Asked a future for its result or error in a state where it has none.
///
/// ```
/// use traits_futures::{CallFuture, FutureState, NotAvailable};
/// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
/// assert_eq!(future.result().unwrap_err(), NotAvailable::NoResult(FutureState::Waiting));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum NotAvailable {
    /// A result exists only once the future is `Completed`.
    #[error("no result: the future is {0}; a result exists only once it is Completed")]
    NoResult(FutureState),
    /// An error exists only once the future is `Failed`.
    #[error("no error: the future is {0}; an error exists only once it is Failed")]
    NoError(FutureState),
}

/// A message arrived that the state machine does not allow in the future's current state.
///
/// This is a bug in a task type (or in this library), never a user mistake: the message is
/// ignored, the future is left as it was, and the violation is logged. A detached future's
/// [`receive`](crate::TaskFuture::receive) returns it, so unit tests of a custom future see it:
///
/// ```
/// use traits_futures::{CallFuture, FutureState, Input, ProtocolViolation, TaskMessage};
/// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
/// let violation = future.receive(TaskMessage::Returned(1)).unwrap_err(); // R before S
/// assert_eq!(violation, ProtocolViolation { state: FutureState::Waiting, input: Input::Returned });
/// assert_eq!(future.state().get(), FutureState::Waiting); // nothing changed
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("protocol violation: {input:?} is not allowed while the future is {state}")]
pub struct ProtocolViolation {
    /// The future's public state when the message arrived.
    pub state: FutureState,
    /// The offending input.
    pub input: Input,
}

/// `submit` was refused; the task was dropped without running.
///
/// ```
/// use traits_futures::{submit_call, ExecutorState, SubmitError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// executor.stop()?;
/// let err = submit_call(&executor, || 1).unwrap_err();
/// assert!(matches!(err, SubmitError::NotRunning(ExecutorState::Stopping | ExecutorState::Stopped)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum SubmitError {
    /// Only a `Running` executor accepts tasks.
    #[error("cannot submit: the executor is {0}, and only a Running executor accepts tasks")]
    NotRunning(ExecutorState),
    /// The shared worker pool has been shut down by its owner.
    #[error("cannot submit: the worker pool has been shut down")]
    PoolClosed,
}

/// A [`Submitter`](crate::Submitter)'s `submit` was refused: the executor is stopping, stopped
/// or dropped. The submission was dropped without running, on the calling thread.
///
/// ```
/// use traits_futures::{RemoteSubmitError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let submitter = executor.submitter(|_future: traits_futures::CallFuture<u8>| {});
/// executor.stop()?;
/// let refused = std::thread::spawn(move || submitter.submit_call(|| 1)).join().unwrap();
/// assert_eq!(refused, Err(RemoteSubmitError::Stopped));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum RemoteSubmitError {
    /// The executor has begun to stop (or is gone): it accepts no more tasks.
    #[error("cannot submit: the executor is stopping, stopped or dropped")]
    Stopped,
}

/// `stop()` was called on an executor that is not running.
///
/// ```
/// use traits_futures::{StopError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// executor.stop()?;
/// assert!(matches!(executor.stop(), Err(StopError::NotRunning(_))));
/// # Ok::<(), StopError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum StopError {
    /// The executor is already stopping or stopped.
    #[error("cannot stop: the executor is already {0}")]
    NotRunning(ExecutorState),
}

/// `shutdown(Some(timeout))` gave up before every task ended; the executor stays `Stopping`.
/// Call `shutdown` again to keep waiting.
///
/// ```
/// use std::{sync::mpsc, time::Duration};
/// use traits_futures::{submit_call, ExecutorState, FutureState, ShutdownError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let (release, gate) = mpsc::channel::<()>();
/// let stuck = submit_call(&executor, move || gate.recv())?; // ends only when released
/// executor.run_until(|| stuck.state().get() == FutureState::Executing, None)?;
/// let timeout = Duration::from_millis(10);
/// assert_eq!(executor.shutdown(Some(timeout)), Err(ShutdownError::Timeout { timeout, running: 1 }));
/// assert_eq!(executor.state().get(), ExecutorState::Stopping);
/// release.send(())?;
/// executor.shutdown(None)?; // waits for the task this time
/// assert_eq!(executor.state().get(), ExecutorState::Stopped);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ShutdownError {
    /// Some tasks were still running when the timeout expired.
    #[error("shutdown timed out after {timeout:?} with {running} task(s) still running; the executor is still Stopping")]
    Timeout {
        /// The timeout that expired.
        timeout: Duration,
        /// How many tasks had not ended.
        running: usize,
    },
}

/// The event loop ran until its deadline without the condition becoming true.
///
/// ```
/// use std::time::Duration;
/// use traits_futures::{RunTimeout, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let timeout = Duration::from_millis(10);
/// assert_eq!(executor.run_until(|| false, Some(timeout)), Err(RunTimeout { timeout }));
/// # executor.shutdown(None).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("the condition did not hold within {timeout:?}")]
pub struct RunTimeout {
    /// The timeout that expired.
    pub timeout: Duration,
}

/// The executor builder was given contradictory or invalid settings.
///
/// ```
/// use std::sync::Arc;
/// use traits_futures::{BuildError, ThreadPool, TraitsExecutor};
/// let pool = Arc::new(ThreadPool::new(2));
/// let err = TraitsExecutor::builder().worker_pool(pool).max_workers(4).build().unwrap_err();
/// assert_eq!(err, BuildError::PoolAndMaxWorkers);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum BuildError {
    /// `max_workers` sizes the executor's own pool, so it cannot go with a shared pool.
    #[error("both a shared worker pool and max_workers were given; max_workers only sizes an owned pool")]
    PoolAndMaxWorkers,
    /// An owned pool needs at least one worker.
    #[error("max_workers must be at least 1")]
    ZeroWorkers,
    /// More workers than a pool takes ([`ThreadPool::MAX_SIZE`](crate::ThreadPool::MAX_SIZE),
    /// 512): a pool of thousands of threads would exhaust the machine long before it helped.
    ///
    /// ```
    /// use traits_futures::{BuildError, TraitsExecutor};
    /// let err = TraitsExecutor::builder().max_workers(usize::MAX).build().unwrap_err();
    /// assert_eq!(err, BuildError::TooManyWorkers { requested: usize::MAX, max: 512 });
    /// ```
    #[error("max_workers is {requested}, more than the {max} threads a pool takes")]
    TooManyWorkers {
        /// The size asked for.
        requested: usize,
        /// The largest size allowed.
        max: usize,
    },
}

/// Drops `value`, catching a panic of its `Drop`: returns that panic's message.
///
/// Every value of user code that the library drops where nobody could catch its panic (on a
/// worker, in a pool's or an executor's drop, on a call that must not panic) goes through
/// here, so that the protocol's next step (the message that ends a future) still happens.
pub(crate) fn drop_caught<T>(value: T) -> Option<String> {
    panic::catch_unwind(AssertUnwindSafe(move || drop(value)))
        .err()
        .map(panic_message)
}

/// The text of a panic payload (`&str` or `String`), or a placeholder; consumes the payload.
///
/// A payload that is not text is dropped here, and a panic of its own `Drop` is caught and
/// named in the text. The payload of that second panic is dropped too if it is text, and leaked
/// otherwise: its `Drop` could panic again, and the regress has to end somewhere.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    const NOT_TEXT: &str = "non-string panic payload";
    let payload = match payload_text(payload) {
        Ok(text) => return text,
        Err(payload) => payload,
    };
    match panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        Ok(()) => NOT_TEXT.to_string(),
        Err(nested) => {
            let nested = payload_text(nested).unwrap_or_else(|nested| {
                mem::forget(nested);
                NOT_TEXT.to_string()
            });
            format!("{NOT_TEXT}, whose Drop panicked: {nested}")
        }
    }
}

/// The payload's text, or the payload back if it is not text.
fn payload_text(payload: Box<dyn Any + Send>) -> Result<String, Box<dyn Any + Send>> {
    match payload.downcast::<String>() {
        Ok(text) => Ok(*text),
        Err(payload) => payload
            .downcast::<&'static str>()
            .map(|text| (*text).to_string()),
    }
}
