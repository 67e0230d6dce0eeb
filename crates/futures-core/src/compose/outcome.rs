//! Awaiting a future: [`Outcome`], what a finished future ended with, and [`OutcomeFuture`], a
//! `std::future::Future` that resolves to it on the main thread's local executor.

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use traits_core::ObserverGuard;

use crate::error::TaskError;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::state::FutureState;

/// How a future ended: its value, its error, or cancelled.
///
/// Awaiting a future ([`TaskFuture::outcome`]) and [`TaskFuture::on_done`] give it with
/// references into the future, `Outcome<&T, &TaskError<E>>`, so neither the value nor the error
/// needs to be `Clone`; [`cloned`](Self::cloned) makes an owned copy.
///
/// ```
/// use traits_futures::{CallFuture, Outcome, TaskMessage};
/// let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Returned(7))?;
/// let outcome = futures::executor::block_on(future.outcome());
/// assert_eq!(outcome, Outcome::Completed(&7));
/// assert_eq!(outcome.cloned(), Outcome::Completed(7));
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome<T, E> {
    /// The task returned this value: the future is `Completed`.
    Completed(T),
    /// The task failed (for a future, a [`TaskError`]): the future is `Failed`.
    Failed(E),
    /// The future was cancelled: it is `Cancelled`, with neither value nor error.
    Cancelled,
}

impl<T: Clone, E: Clone> Outcome<&T, &E> {
    /// An owned copy of the value or the error.
    ///
    /// ```
    /// use traits_futures::{Outcome, TaskError};
    /// let error = TaskError::<String>::Panicked("boom".into());
    /// let outcome: Outcome<&u8, &TaskError<String>> = Outcome::Failed(&error);
    /// assert_eq!(outcome.cloned(), Outcome::Failed(error.clone()));
    /// ```
    pub fn cloned(self) -> Outcome<T, E> {
        match self {
            Outcome::Completed(value) => Outcome::Completed(value.clone()),
            Outcome::Failed(error) => Outcome::Failed(error.clone()),
            Outcome::Cancelled => Outcome::Cancelled,
        }
    }
}

impl<T, E> Outcome<T, E> {
    /// The final state this outcome is the outcome of.
    ///
    /// ```
    /// use traits_futures::{FutureState, Outcome};
    /// assert_eq!(Outcome::<u8, ()>::Cancelled.state(), FutureState::Cancelled);
    /// assert_eq!(Outcome::<u8, ()>::Completed(1).state(), FutureState::Completed);
    /// ```
    pub fn state(&self) -> FutureState {
        match self {
            Outcome::Completed(_) => FutureState::Completed,
            Outcome::Failed(_) => FutureState::Failed,
            Outcome::Cancelled => FutureState::Cancelled,
        }
    }
}

/// The outcome of a future borrowed for `'a`: what awaiting it yields.
pub(crate) type OutcomeOf<'a, H> =
    Outcome<&'a <H as FutureHandler>::Output, &'a TaskError<<H as FutureHandler>::Error>>;

/// The future's outcome if it is done (reading its state, which lets an orphan settle).
pub(crate) fn outcome_of<H: FutureHandler>(future: &TaskFuture<H>) -> Option<OutcomeOf<'_, H>> {
    match future.state().get() {
        FutureState::Completed => future.result().ok().map(Outcome::Completed),
        FutureState::Failed => future.error().ok().map(Outcome::Failed),
        FutureState::Cancelled => Some(Outcome::Cancelled),
        FutureState::Waiting | FutureState::Executing | FutureState::Cancelling => None,
    }
}

/// Awaits a [`TaskFuture`]: resolves, on the main thread, to its [`Outcome`] once it is done.
///
/// Made by [`TaskFuture::outcome`] or by awaiting `&future`. It does not poll the future's
/// state: while the future is not done it keeps one observer of [`done`](TaskFuture::done)
/// holding the task's [`Waker`], and that observer wakes the task from the dispatch that ends
/// the future; dropping the `OutcomeFuture` removes the observer. Dropping it never cancels the
/// task. It resolves at the first poll if the future is already done.
///
/// Run it on the main thread's local executor (glib's main context, tokio's `LocalSet`,
/// futures' `LocalPool`) beside the executor's [`Dispatcher`](crate::Dispatcher) or another
/// event loop that dispatches: the outcome arrives when the future's final message is
/// dispatched.
///
/// ```
/// use futures::{executor::LocalPool, task::LocalSpawnExt};
/// use traits_futures::{submit_call, Outcome, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let mut pool = LocalPool::new();
/// pool.spawner().spawn_local(executor.dispatcher())?;
/// let answer = pool.run_until({
///     let executor = executor.clone();
///     async move {
///         let future = submit_call(&executor, || 6 * 7)?;
///         let answer = match (&future).await {
///             Outcome::Completed(value) => *value,
///             Outcome::Failed(_) | Outcome::Cancelled => 0,
///         };
///         executor.stop()?;
///         Ok::<_, Box<dyn std::error::Error>>(answer)
///     }
/// })?;
/// assert_eq!(answer, 42);
/// pool.run(); // the dispatcher ends once the executor is Stopped
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A future whose executor was dropped without `shutdown` (an orphan) settles only when its
/// state is read; an `OutcomeFuture` reads it whenever it is polled, but nothing wakes it for
/// such a future.
#[must_use = "an OutcomeFuture does nothing unless awaited"]
pub struct OutcomeFuture<'a, H: FutureHandler> {
    future: &'a TaskFuture<H>,
    /// While the future is not done: the waker to wake, shared with the observer of `done`,
    /// and that observer's guard.
    waiting: Option<(Rc<Cell<Option<Waker>>>, ObserverGuard)>,
}

impl<'a, H: FutureHandler> Future for OutcomeFuture<'a, H> {
    type Output = Outcome<&'a H::Output, &'a TaskError<H::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(outcome) = outcome_of(this.future) {
            this.waiting = None;
            return Poll::Ready(outcome);
        }
        match &this.waiting {
            Some((slot, _)) => {
                let held = slot.take();
                slot.set(match held {
                    Some(waker) if waker.will_wake(cx.waker()) => Some(waker),
                    _ => Some(cx.waker().clone()),
                });
            }
            None => {
                let slot = Rc::new(Cell::new(Some(cx.waker().clone())));
                let guard = this.future.done().observe({
                    let slot = Rc::clone(&slot);
                    move |_, done| {
                        if let (true, Some(waker)) = (*done, slot.take()) {
                            waker.wake();
                        }
                    }
                });
                this.waiting = Some((slot, guard));
            }
        }
        Poll::Pending
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// A `std::future::Future` of this future's [`Outcome`]: await it on the main thread's
    /// local executor (see [`OutcomeFuture`]). `(&future).await` does the same.
    ///
    /// Dropping the await does not cancel the task; to stop the work, call
    /// [`cancel`](Self::cancel).
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use traits_futures::{CallFuture, Outcome};
    /// let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
    /// future.cancel();
    /// future.receive(traits_futures::TaskMessage::Abandoned)?;
    /// assert_eq!(block_on(future.outcome()), Outcome::Cancelled);
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn outcome(&self) -> OutcomeFuture<'_, H> {
        OutcomeFuture {
            future: self,
            waiting: None,
        }
    }
}

/// `(&future).await` awaits the future's [`Outcome`], as [`TaskFuture::outcome`] does.
///
/// ```
/// use traits_futures::{CallFuture, Outcome, TaskError, TaskMessage};
/// let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Failed(TaskError::Panicked("boom".into())))?;
/// let outcome = futures::executor::block_on(async { (&future).await });
/// assert!(matches!(outcome, Outcome::Failed(TaskError::Panicked(message)) if message == "boom"));
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
impl<'a, H: FutureHandler> IntoFuture for &'a TaskFuture<H> {
    type Output = Outcome<&'a H::Output, &'a TaskError<H::Error>>;
    type IntoFuture = OutcomeFuture<'a, H>;

    fn into_future(self) -> OutcomeFuture<'a, H> {
        self.outcome()
    }
}
