//! [`TaskMessage`]: what a background task sends to its future.

use crate::error::TaskError;
use crate::state::Input;

/// A message from a background task to its future, typed by the task type's custom message
/// `M`, its output `T` and its error `E`.
///
/// The executor sends `Started`, `Returned`, `Failed` and `Abandoned` around the task; the task
/// itself sends only `Custom` messages, through
/// [`TaskContext::send`](crate::TaskContext::send). Feed them to a future by hand with
/// [`TaskFuture::receive`](crate::TaskFuture::receive) to unit-test a custom future.
///
/// ```
/// use traits_futures::{CallFuture, FutureState, TaskMessage};
/// let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Returned(8))?;
/// assert_eq!(future.state().get(), FutureState::Completed);
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
#[derive(Debug)]
pub enum TaskMessage<M, T, E> {
    /// `S`: the task started running.
    Started,
    /// `M`: a message of the task type (an item, a progress report, …).
    Custom(M),
    /// `R`: the task returned this value.
    Returned(T),
    /// `X`: the task failed.
    Failed(TaskError<E>),
    /// `A`: the task was cancelled before it started, and never ran.
    Abandoned,
}

impl<M, T, E> TaskMessage<M, T, E> {
    /// The state-machine input this message stands for.
    pub(crate) fn input(&self) -> Input {
        match self {
            TaskMessage::Started => Input::Started,
            TaskMessage::Custom(_) => Input::Custom,
            TaskMessage::Returned(_) => Input::Returned,
            TaskMessage::Failed(_) => Input::Failed,
            TaskMessage::Abandoned => Input::Abandoned,
        }
    }
}
