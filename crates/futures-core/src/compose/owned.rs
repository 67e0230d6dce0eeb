//! [`OwnedFuture`]: an owning handle that cancels its task when it is dropped.

use std::fmt;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::thread;

use crate::future::task_future::{FutureHandler, TaskFuture};

/// An owning handle to a future: dropping it cancels the task.
///
/// A plain [`TaskFuture`] does not cancel its task when dropped (the executor keeps it until the
/// task ends). Give a widget or a component an `OwnedFuture` instead, and the task goes when its
/// owner goes: the drop calls [`TaskFuture::cancel`], with the usual cancel-first guarantee
/// (from the drop on, nothing the task sends is delivered, and a task that had not started
/// never runs). The drop cancels whether or not other clones of the [`TaskFuture`] exist: those
/// clones see the future become `Cancelling`, then `Cancelled`. Dropping it once the future is
/// done changes nothing. [`detach`](Self::detach) lets go without cancelling.
///
/// It dereferences to the [`TaskFuture`], so every property (`state()`, `done()`, `result()`,
/// the task type's own events) is reached through it. It is `!Send`, like the future.
///
/// An observer that panics during the drop's cancel resumes its panic out of the drop, unless
/// the thread is already unwinding from another panic: then the observer's panic is dropped
/// (a second panic would abort the process).
///
/// ```
/// use traits_futures::{submit_call, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let owned = submit_call(&executor, || 6 * 7)?.cancel_on_drop();
/// let watcher = owned.future().clone(); // another handle, for the test
/// assert!(!owned.done().get()); // the future's properties, through `Deref`
/// drop(owned); // the owner goes: the task is cancelled
/// assert!(!watcher.cancellable().get());
/// executor.run_until(|| watcher.done().get(), None)?;
/// assert_eq!(watcher.state().get(), FutureState::Cancelled);
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OwnedFuture<H: FutureHandler> {
    future: TaskFuture<H>,
    /// Cleared by `detach`, so that the drop that follows does not cancel.
    armed: bool,
}

impl<H: FutureHandler> OwnedFuture<H> {
    /// Takes ownership of `future`: dropping the result cancels it
    /// (the same as [`TaskFuture::cancel_on_drop`]).
    ///
    /// ```
    /// use traits_futures::{CallFuture, OwnedFuture};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// drop(OwnedFuture::new(future.clone()));
    /// assert!(!future.cancellable().get()); // cancelled
    /// ```
    pub fn new(future: TaskFuture<H>) -> Self {
        OwnedFuture {
            future,
            armed: true,
        }
    }

    /// The owned future (also reachable through `Deref`); clone it to hand a non-owning handle
    /// to someone else.
    ///
    /// ```
    /// use traits_futures::CallFuture;
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let owned = future.clone().cancel_on_drop();
    /// assert!(owned.future().ptr_eq(&future));
    /// ```
    pub fn future(&self) -> &TaskFuture<H> {
        &self.future
    }

    /// Lets go without cancelling: returns the plain future, and the task runs on to its end.
    ///
    /// ```
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let owned = submit_call(&executor, || 6 * 7)?.cancel_on_drop();
    /// let future = owned.detach(); // dropping `owned` no longer cancels: it is gone
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.result(), Ok(&42));
    /// executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detach(mut self) -> TaskFuture<H> {
        self.armed = false;
        self.future.clone()
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// An owning handle to this future, which cancels the task when it is dropped (see
    /// [`OwnedFuture`]).
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    ///
    /// struct Panel {
    ///     _search: traits_futures::OwnedFuture<traits_futures::CallHandler<Vec<String>>>,
    /// }
    ///
    /// let executor = TraitsExecutor::new();
    /// let search = submit_call(&executor, || vec!["result".to_string()])?;
    /// let panel = Panel { _search: search.clone().cancel_on_drop() };
    /// drop(panel); // closing the panel cancels its search
    /// assert!(!search.cancellable().get());
    /// executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel_on_drop(self) -> OwnedFuture<H> {
        OwnedFuture::new(self)
    }
}

/// Cancels `future`; if the thread is already unwinding, a panicking observer's panic is
/// dropped rather than aborting the process.
pub(crate) fn cancel_in_drop<H: FutureHandler>(future: &TaskFuture<H>) {
    if thread::panicking() {
        let _ = panic::catch_unwind(AssertUnwindSafe(|| future.cancel()));
    } else {
        future.cancel();
    }
}

impl<H: FutureHandler> Drop for OwnedFuture<H> {
    fn drop(&mut self) {
        if self.armed {
            cancel_in_drop(&self.future);
        }
    }
}

impl<H: FutureHandler> Deref for OwnedFuture<H> {
    type Target = TaskFuture<H>;
    fn deref(&self) -> &TaskFuture<H> {
        &self.future
    }
}

impl<H: FutureHandler> From<TaskFuture<H>> for OwnedFuture<H> {
    fn from(future: TaskFuture<H>) -> Self {
        OwnedFuture::new(future)
    }
}

impl<H: FutureHandler> fmt::Debug for OwnedFuture<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedFuture").field(&self.future).finish()
    }
}
