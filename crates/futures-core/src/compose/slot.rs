//! [`TaskSlot`]: latest wins. A slot holds at most one live task; submitting into it cancels
//! the one before. Its current future is observable ([`SlotCurrent`]).

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use futures_signals::signal::{always, Signal, SignalExt};
use traits_core::{Dependency, DependentHandle, Observable, ObserverGuard};

use crate::compose::owned::cancel_in_drop;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::state::FutureState;

/// What the slot holds: its current future, if any, compared by identity (two values are equal
/// when they hold the same future), so that the observable notifies when the future changes.
struct Held<H: FutureHandler>(Option<TaskFuture<H>>);

impl<H: FutureHandler> Clone for Held<H> {
    fn clone(&self) -> Self {
        Held(self.0.clone())
    }
}

impl<H: FutureHandler> PartialEq for Held<H> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.ptr_eq(b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// Latest wins: a main-thread slot that holds at most one live task.
///
/// Putting a future into the slot ([`submit`](Self::submit), [`set`](Self::set)) first cancels
/// the one it held (cancel-first: from then on, nothing that task sends is delivered, and a task
/// that had not started never runs), then holds the new one. A search box that starts a search
/// per keystroke keeps one slot, and only the latest search runs on.
///
/// The slot's current future is observable ([`current`](Self::current): `get`, `observe`,
/// `signal`), and the slot has signals that follow whichever future is current
/// ([`state`](Self::state), [`map_signal`](Self::map_signal)), so a widget binds to "the current
/// search" in one call.
///
/// The slot owns its task: dropping the slot cancels its current future (like an
/// [`OwnedFuture`](crate::OwnedFuture)), unless it was [`detach`](Self::detach)ed or
/// [`take`](Self::take)n first. A future that is done keeps its place until it is replaced or
/// cleared, so a UI can still show its outcome. The slot is `!Send`, like its futures.
///
/// ```
/// use traits_futures::{submit_call, FutureState, TaskSlot, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let search = TaskSlot::new();
/// let first = search.submit(|| submit_call(&executor, || "results for 'ru'"))?;
/// let latest = search.submit(|| submit_call(&executor, || "results for 'rust'"))?;
/// assert!(!first.cancellable().get()); // the earlier search is cancelled
/// executor.run_until(|| latest.done().get() && first.done().get(), None)?;
/// assert_eq!(first.state().get(), FutureState::Cancelled);
/// assert_eq!(search.get().unwrap().result(), Ok(&"results for 'rust'"));
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TaskSlot<H: FutureHandler> {
    current: Observable<Held<H>>,
    /// Cleared by `detach`, so that the drop that follows does not cancel.
    armed: bool,
}

impl<H: FutureHandler> TaskSlot<H> {
    /// An empty slot.
    ///
    /// ```
    /// use traits_futures::{CallHandler, TaskSlot};
    /// let slot: TaskSlot<CallHandler<u32>> = TaskSlot::new();
    /// assert!(slot.get().is_none());
    /// ```
    pub fn new() -> Self {
        TaskSlot {
            current: Observable::new(Held(None)),
            armed: true,
        }
    }

    /// Cancels the current future, then calls `submit` and holds the future it returns, which
    /// it also returns. If `submit` fails, its error is returned and the slot keeps the
    /// (cancelled) future it had.
    ///
    /// `submit` is any closure that makes a future: usually a call to one of the `submit_*`
    /// functions (an `Err` is then a [`SubmitError`](crate::SubmitError)).
    ///
    /// ```
    /// use traits_futures::{submit_call, TaskSlot, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let slot = TaskSlot::new();
    /// let future = slot.submit(|| submit_call(&executor, || 1 + 1))?;
    /// assert!(slot.get().unwrap().ptr_eq(&future));
    /// executor.shutdown(None)?;
    /// assert!(slot.submit(|| submit_call(&executor, || 3)).is_err()); // stopped: refused
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit<E>(
        &self,
        submit: impl FnOnce() -> Result<TaskFuture<H>, E>,
    ) -> Result<TaskFuture<H>, E> {
        self.cancel();
        let future = submit()?;
        self.set(future.clone());
        Ok(future)
    }

    /// Holds `future`, first cancelling the future the slot held (unless it is the same one).
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let old: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let new: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(old.clone());
    /// slot.set(new.clone());
    /// assert!(!old.cancellable().get()); // cancelled
    /// assert!(new.cancellable().get());
    /// ```
    pub fn set(&self, future: TaskFuture<H>) {
        self.replace(Some(future));
    }

    /// Cancels the current future and empties the slot.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future.clone());
    /// slot.clear();
    /// assert!(slot.get().is_none());
    /// assert!(!future.cancellable().get()); // cancelled
    /// ```
    pub fn clear(&self) {
        self.replace(None);
    }

    /// Cancels the current future and keeps it in the slot (a Cancel button: the UI goes on
    /// showing the task, now `Cancelling`, then `Cancelled`). Returns what
    /// [`TaskFuture::cancel`] returned, or `false` if the slot is empty.
    ///
    /// ```
    /// use traits_futures::{CallFuture, FutureState, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future);
    /// assert!(slot.cancel());
    /// assert_eq!(slot.get().unwrap().state().get(), FutureState::Cancelling);
    /// assert!(!slot.cancel()); // already cancelled
    /// ```
    pub fn cancel(&self) -> bool {
        match self.get() {
            Some(future) => future.cancel(),
            None => false,
        }
    }

    /// Empties the slot without cancelling: returns the future it held, whose task runs on.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future.clone());
    /// let taken = slot.take().unwrap();
    /// assert!(slot.get().is_none());
    /// assert!(taken.cancellable().get()); // still running
    /// ```
    pub fn take(&self) -> Option<TaskFuture<H>> {
        let held = self.get();
        self.current.set(Held(None));
        held
    }

    /// Lets go of the slot without cancelling its future, which is returned (the slot's drop
    /// would cancel it). Observers of [`current`](Self::current) are not notified.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future.clone());
    /// let kept = slot.detach().unwrap();
    /// assert!(kept.ptr_eq(&future) && future.cancellable().get());
    /// ```
    pub fn detach(mut self) -> Option<TaskFuture<H>> {
        self.armed = false;
        self.get()
    }

    /// The current future, if any (the same as `current().get()`).
    ///
    /// ```
    /// use traits_futures::{CallHandler, TaskSlot};
    /// let slot: TaskSlot<CallHandler<()>> = TaskSlot::default();
    /// assert!(slot.get().is_none());
    /// ```
    pub fn get(&self) -> Option<TaskFuture<H>> {
        self.current.with(|held| held.0.clone())
    }

    /// The current future as an observable: [`get`](SlotCurrent::get),
    /// [`observe`](SlotCurrent::observe), [`signal`](SlotCurrent::signal).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_futures::{CallFuture, TaskSlot};
    ///
    /// let slot = TaskSlot::new();
    /// let changes = Rc::new(Cell::new(0));
    /// let _guard = slot.current().observe({
    ///     let changes = changes.clone();
    ///     move |_old, _new| changes.set(changes.get() + 1)
    /// });
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future.clone());
    /// slot.set(future); // the same future: no change
    /// slot.clear();
    /// assert_eq!(changes.get(), 2);
    /// ```
    pub fn current(&self) -> SlotCurrent<H> {
        SlotCurrent {
            current: self.current.clone(),
        }
    }

    /// A signal of the current future's state: `None` while the slot is empty, then the state
    /// of whichever future the slot holds (a switch from one future's state signal to the
    /// next's).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::{CallFuture, FutureState, TaskSlot};
    ///
    /// let slot = TaskSlot::new();
    /// let mut state = slot.state().to_stream();
    /// assert_eq!(block_on(state.next()), Some(None));
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future);
    /// assert_eq!(block_on(state.next()), Some(Some(FutureState::Waiting)));
    /// slot.cancel();
    /// assert_eq!(block_on(state.next()), Some(Some(FutureState::Cancelling)));
    /// ```
    pub fn state(&self) -> impl Signal<Item = Option<FutureState>> + 'static {
        self.map_signal(|future| future.state().signal())
    }

    /// A signal of `f(current future)`: `None` while the slot is empty, then the values of the
    /// signal `f` makes for whichever future the slot holds, switching to the new future's
    /// signal whenever the slot's future changes. One call binds a widget to "the current
    /// task's progress" (or any property of its handler).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::{submit_progress, ProgressHandler, TaskSlot, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let slot: TaskSlot<ProgressHandler<(u32, u32), ()>> = TaskSlot::new();
    /// let fraction = slot
    ///     .map_signal(|future| future.progress().signal())
    ///     .map(|progress| progress.flatten().map_or(0.0, |(done, all)| done as f64 / all as f64));
    /// let mut fraction = fraction.to_stream();
    /// assert_eq!(block_on(fraction.next()), Some(0.0)); // empty slot
    ///
    /// let future = slot.submit(|| {
    ///     submit_progress(&executor, |reporter| {
    ///         reporter.report((1, 4))?;
    ///         Ok(())
    ///     })
    /// })?;
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(block_on(fraction.next()), Some(0.25));
    /// executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_signal<S>(
        &self,
        f: impl Fn(&TaskFuture<H>) -> S + 'static,
    ) -> impl Signal<Item = Option<S::Item>> + 'static
    where
        S: Signal + 'static,
        S::Item: 'static,
    {
        self.current.signal().switch(move |held| match held.0 {
            Some(future) => f(&future).map(Some).boxed_local(),
            None => always(None).boxed_local(),
        })
    }

    /// Cancels `old` (if there is one and it is not `new`), then stores `new`; if an observer of
    /// the cancel panics, `new` is still stored before the panic resumes.
    fn replace(&self, new: Option<TaskFuture<H>>) {
        let new = Held(new);
        let old = self.current.with(|held| held.clone());
        let cancelled = match &old.0 {
            Some(old_future) if old != new => {
                panic::catch_unwind(AssertUnwindSafe(|| old_future.cancel()))
            }
            _ => Ok(false),
        };
        self.current.set(new);
        if let Err(panic) = cancelled {
            panic::resume_unwind(panic);
        }
    }
}

impl<H: FutureHandler> Default for TaskSlot<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: FutureHandler> Drop for TaskSlot<H> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(future) = self.get() {
            cancel_in_drop(&future);
        }
    }
}

impl<H: FutureHandler> fmt::Debug for TaskSlot<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSlot")
            .field("current", &self.get())
            .finish()
    }
}

/// A read-only observable view of a [`TaskSlot`]'s current future (from
/// [`TaskSlot::current`]). A cheap handle ([`Clone`]); it stays valid after the slot is dropped
/// (it then keeps the future the slot last held).
///
/// It is a [`Dependency`], so a [`Derived`](traits_core::Derived) property can follow it.
///
/// ```
/// use traits_core::{Dependency, Derived};
/// use traits_futures::{CallFuture, TaskSlot};
///
/// let slot = TaskSlot::new();
/// let current = slot.current();
/// let busy = Derived::new(&[&current as &dyn Dependency], {
///     let current = current.clone();
///     move || current.get().is_some()
/// });
/// assert!(!busy.get());
/// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
/// slot.set(future);
/// assert!(busy.get());
/// ```
pub struct SlotCurrent<H: FutureHandler> {
    current: Observable<Held<H>>,
}

impl<H: FutureHandler> SlotCurrent<H> {
    /// The current future, if any.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskSlot};
    /// let slot = TaskSlot::new();
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// slot.set(future.clone());
    /// assert!(slot.current().get().unwrap().ptr_eq(&future));
    /// ```
    pub fn get(&self) -> Option<TaskFuture<H>> {
        self.current.with(|held| held.0.clone())
    }

    /// Registers `observer`, called with the old and the new current future whenever the
    /// slot's future changes (by identity), until the guard drops. When a future replaces
    /// another, the old one is already cancelled when the observer runs.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{CallFuture, FutureState, TaskSlot};
    ///
    /// let slot = TaskSlot::new();
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let _guard = slot.current().observe({
    ///     let seen = seen.clone();
    ///     move |old, new| {
    ///         let state = |f: Option<&CallFuture<()>>| f.map(|f| f.state().get());
    ///         seen.borrow_mut().push((state(old), state(new)));
    ///     }
    /// });
    /// slot.set(CallFuture::detached(Default::default(), || {}));
    /// slot.set(CallFuture::detached(Default::default(), || {}));
    /// assert_eq!(
    ///     *seen.borrow(),
    ///     [
    ///         (None, Some(FutureState::Waiting)),
    ///         (Some(FutureState::Cancelling), Some(FutureState::Waiting)),
    ///     ]
    /// );
    /// ```
    pub fn observe(
        &self,
        observer: impl Fn(Option<&TaskFuture<H>>, Option<&TaskFuture<H>>) + 'static,
    ) -> ObserverGuard {
        self.current
            .observe(move |old, new| observer(old.0.as_ref(), new.0.as_ref()))
    }

    /// A futures-signals signal of the current future: the current one first, then the latest
    /// whenever the signal is polled after a change.
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::{CallHandler, TaskSlot};
    ///
    /// let slot: TaskSlot<CallHandler<()>> = TaskSlot::new();
    /// let mut current = slot.current().signal().to_stream();
    /// assert!(block_on(current.next()).unwrap().is_none());
    /// ```
    pub fn signal(&self) -> impl Signal<Item = Option<TaskFuture<H>>> + 'static {
        self.current.signal().map(|held| held.0)
    }
}

impl<H: FutureHandler> Clone for SlotCurrent<H> {
    fn clone(&self) -> Self {
        SlotCurrent {
            current: self.current.clone(),
        }
    }
}

impl<H: FutureHandler> Dependency for SlotCurrent<H> {
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.current.add_dependent(dependent)
    }
}

impl<H: FutureHandler> fmt::Debug for SlotCurrent<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SlotCurrent").field(&self.get()).finish()
    }
}
