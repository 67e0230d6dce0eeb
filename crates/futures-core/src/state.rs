//! The public states of futures and executors, and the inputs of a future's state machine.

use std::fmt;

/// The state of a future, as seen on the main thread.
///
/// ```text
///            cancel()                      A (abandoned)
///   Waiting ───────────▶ Cancelling ─────────────────────▶ Cancelled
///     │ S (started)        ▲     │ R or X (after a cancel)     ▲
///     ▼          cancel()  │     └─────────────────────────────┘
///   Executing ─────────────┘
///     │ R (returned)        │ X (failed)
///     ▼                     ▼
///   Completed             Failed
/// ```
///
/// ```
/// use traits_futures::FutureState;
/// assert!(FutureState::Waiting.is_cancellable());
/// assert!(!FutureState::Cancelling.is_cancellable());
/// assert!(FutureState::Cancelled.is_done());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutureState {
    /// Submitted; the task has not been seen to start.
    Waiting,
    /// The task is running in the background.
    Executing,
    /// The task returned; the result is available.
    Completed,
    /// The task failed (panicked or returned an error); the error is available.
    Failed,
    /// Cancellation was requested; the task has not yet acknowledged it by ending.
    Cancelling,
    /// The task was cancelled and has ended; neither result nor error is available.
    Cancelled,
}

impl FutureState {
    /// True in the final states: Completed, Failed and Cancelled.
    ///
    /// ```
    /// assert!(traits_futures::FutureState::Failed.is_done());
    /// assert!(!traits_futures::FutureState::Executing.is_done());
    /// ```
    pub fn is_done(self) -> bool {
        matches!(
            self,
            FutureState::Completed | FutureState::Failed | FutureState::Cancelled
        )
    }

    /// True while `cancel()` would have an effect: Waiting and Executing.
    ///
    /// ```
    /// assert!(traits_futures::FutureState::Executing.is_cancellable());
    /// assert!(!traits_futures::FutureState::Completed.is_cancellable());
    /// ```
    pub fn is_cancellable(self) -> bool {
        matches!(self, FutureState::Waiting | FutureState::Executing)
    }
}

impl fmt::Display for FutureState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why a future was cancelled: read it with
/// [`TaskFuture::cancel_reason`](crate::TaskFuture::cancel_reason) once the future is
/// `Cancelling` or `Cancelled`.
///
/// [`cancel`](crate::TaskFuture::cancel) records [`User`](Self::User); the executor records the
/// others. A deadline ([`TraitsExecutor::cancel_after`](crate::TraitsExecutor::cancel_after))
/// is thus told apart from a user's cancel:
///
/// ```
/// use traits_futures::{CallFuture, CancelReason};
/// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
/// assert_eq!(future.cancel_reason(), None);
/// future.cancel();
/// assert_eq!(future.cancel_reason(), Some(CancelReason::User));
/// assert_eq!(CancelReason::Deadline.to_string(), "Deadline");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancelReason {
    /// [`TaskFuture::cancel`](crate::TaskFuture::cancel) was called.
    User,
    /// Its deadline passed (see [`TraitsExecutor::cancel_at`](crate::TraitsExecutor::cancel_at)).
    Deadline,
    /// Its executor was stopped, shut down or dropped.
    Stopped,
    /// A group it belongs to cancelled it: the group was cancelled, another member failed or
    /// was cancelled ([`when_all`](crate::when_all)), or another member won
    /// ([`when_any`](crate::when_any) with losers cancelled).
    Group,
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The state of an executor.
///
/// `Running` accepts tasks; `stop()` moves to `Stopping`, which cancels every task and waits
/// for them to end; `Stopped` is final.
///
/// ```
/// use traits_futures::ExecutorState;
/// assert_eq!(ExecutorState::Stopping.to_string(), "Stopping");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutorState {
    /// Accepting tasks.
    Running,
    /// No longer accepting tasks; waiting for the cancelled tasks to end.
    Stopping,
    /// Every task has ended and the owned worker pool has been shut down.
    Stopped,
}

impl fmt::Display for ExecutorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What can happen to a future: a message from the task, or the user's cancel.
///
/// A [`ProtocolViolation`](crate::ProtocolViolation) names the input that was not allowed:
///
/// ```
/// use traits_futures::{CallFuture, Input, TaskMessage};
/// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Returned(1))?;
/// let late = future.receive(TaskMessage::Returned(2)).unwrap_err(); // nothing after R
/// assert_eq!(late.input, Input::Returned);
/// assert_eq!(future.result(), Ok(&1));
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// `C`: the user called `cancel()` (or the executor stopped).
    Cancel,
    /// `S`: the task started.
    Started,
    /// `M`: a custom message (an item, a progress report, …).
    Custom,
    /// `R`: the task returned.
    Returned,
    /// `X`: the task failed.
    Failed,
    /// `A`: the task was abandoned: cancelled before it started.
    Abandoned,
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
