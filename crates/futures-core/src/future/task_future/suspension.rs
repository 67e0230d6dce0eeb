//! Suspend and resume: the main thread holds a running task at its next send or checkpoint
//! (the pipe's `SUSPENDED` flag, `routing/pipe_shared/park.rs`), and the future's `suspended`
//! view says so.
//!
//! The future keeps a byte ([`Suspension`], in what was padding); the observable behind
//! `suspended()` lives in a thread-local table keyed by the future's address, made the first
//! time it is asked for and removed when the future is dropped, so that a future never
//! suspended or never watched pays nothing for it.

use std::cell::{Cell, RefCell};

use traits_core::{Derived, Observable};

use super::{Driver, FutureHandler, Inner, TaskFuture};

/// A future's suspension: whether it is suspended, and whether its `suspended` observable
/// exists (in [`VIEWS`]).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Suspension {
    suspended: bool,
    observed: bool,
}

/// A future's entry in [`VIEWS`]: its address, its `suspended` observable, and the read-only
/// view handed out.
type View = (usize, Observable<bool>, Derived<bool>);

thread_local! {
    /// The `suspended` observable of each future whose view was asked for.
    static VIEWS: RefCell<Vec<View>> =
        const { RefCell::new(Vec::new()) };
}

/// Suspend and resume, on the future (documented with the rest of [`TaskFuture`]).
impl<H: FutureHandler> TaskFuture<H> {
    /// Suspends the task: it stops at its next [`send`](crate::TaskContext::send) or
    /// [`checkpoint`](crate::TaskContext::checkpoint) (a progress report or an item is a send)
    /// until [`resume`](Self::resume) or [`cancel`](Self::cancel). Returns `true` if this call
    /// suspended it: the future is Waiting or Executing and was not suspended already; `false`
    /// otherwise, and always for a detached future (no task of its own to hold).
    ///
    /// Suspending does not change [`state`](Self::state): an Executing future stays Executing,
    /// and what the task sent before the suspension is still delivered. A cancel ends the
    /// suspension, and the task's wait, at once: it ends `Cancelled` as usual.
    ///
    /// ```
    /// use traits_futures::{submit_generator, FutureState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_generator(&executor, |items| {
    ///     for n in 0..3 {
    ///         items.send(n)?; // waits here while suspended
    ///     }
    ///     Ok(())
    /// })?;
    /// assert!(future.suspend());
    /// assert!(future.suspended().get());
    /// assert!(!future.suspend()); // already suspended
    /// assert!(future.resume());
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.state().get(), FutureState::Completed);
    /// assert!(!future.suspend()); // done
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suspend(&self) -> bool {
        self.inner.suspend()
    }

    /// Ends a [`suspend`](Self::suspend): the task goes on from where it waits. Returns `true`
    /// if the future was suspended.
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_call(&executor, || 1)?;
    /// assert!(!future.resume()); // not suspended
    /// future.suspend();
    /// assert!(future.resume());
    /// executor.run_until(|| future.done().get(), None)?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(&self) -> bool {
        self.inner.resume()
    }

    /// Whether the task is suspended, observable (read-only): true from a
    /// [`suspend`](Self::suspend) until [`resume`](Self::resume), a cancel, or the future's end,
    /// whichever comes first. Observers run on the main thread, inside those calls (the end's:
    /// after the state's observers).
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_call(&executor, || 1)?;
    /// let suspended = future.suspended();
    /// let _log = suspended.observe(|_, now| println!("suspended: {now}"));
    /// future.suspend();
    /// assert!(suspended.get());
    /// future.cancel();
    /// assert!(!suspended.get());
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suspended(&self) -> Derived<bool> {
        self.inner.suspended_view()
    }
}

impl<H: FutureHandler> Inner<H> {
    /// Suspends the task if the future is still cancellable and not suspended already.
    pub(crate) fn suspend(&self) -> bool {
        let Driver::Pipe(endpoint) = &self.driver else {
            return false;
        };
        let mut suspension = self.suspension.get();
        if suspension.suspended || !self.machine.get().public().is_cancellable() {
            return false;
        }
        suspension.suspended = true;
        self.suspension.set(suspension);
        endpoint.shared().suspend();
        self.announce_suspension(suspension);
        true
    }

    /// Resumes a suspended task.
    pub(crate) fn resume(&self) -> bool {
        let Driver::Pipe(endpoint) = &self.driver else {
            return false;
        };
        let mut suspension = self.suspension.get();
        if !suspension.suspended {
            return false;
        }
        suspension.suspended = false;
        self.suspension.set(suspension);
        endpoint.shared().resume();
        self.announce_suspension(suspension);
        true
    }

    /// The future can no longer be cancelled (cancelled, or done): no longer suspended (a
    /// cancel wakes the task by itself). Called by every transition; a byte's read when the
    /// future was never suspended.
    pub(super) fn end_suspension(&self) {
        let mut suspension = self.suspension.get();
        if suspension.suspended && !self.machine.get().public().is_cancellable() {
            suspension.suspended = false;
            self.suspension.set(suspension);
            self.announce_suspension(suspension);
        }
    }

    /// Sets the observable, if it exists (its observers run here).
    fn announce_suspension(&self, suspension: Suspension) {
        if !suspension.observed {
            return;
        }
        let address = self.suspension_key();
        let observable = VIEWS.with(|views| {
            let views = views.borrow();
            views
                .iter()
                .find(|(key, _, _)| *key == address)
                .map(|(_, observable, _)| observable.clone())
        });
        // Set outside the table's borrow: an observer may ask for another future's view.
        if let Some(observable) = observable {
            observable.set(suspension.suspended);
        }
    }

    /// The read-only view of the suspension, made on first use.
    pub(crate) fn suspended_view(&self) -> Derived<bool> {
        let address = self.suspension_key();
        let mut suspension = self.suspension.get();
        if suspension.observed {
            let found = VIEWS.with(|views| {
                views
                    .borrow()
                    .iter()
                    .find(|(key, _, _)| *key == address)
                    .map(|(_, _, view)| view.clone())
            });
            if let Some(view) = found {
                return view;
            }
        }
        let observable = Observable::new(suspension.suspended);
        let source = observable.clone();
        let view = Derived::new(&[&observable], move || source.get());
        VIEWS.with(|views| views.borrow_mut().push((address, observable, view.clone())));
        suspension.observed = true;
        self.suspension.set(suspension);
        view
    }

    /// Removes this future's entry from [`VIEWS`] (the future is being dropped: its address
    /// may be reused).
    pub(super) fn forget_suspension(&self) {
        if !self.suspension.get().observed {
            return;
        }
        let address = self.suspension_key();
        let removed = VIEWS
            .try_with(|views| {
                let mut views = views.borrow_mut();
                let index = views.iter().position(|(key, _, _)| *key == address)?;
                Some(views.swap_remove(index))
            })
            .ok()
            .flatten();
        // Dropped outside the table's borrow.
        drop(removed);
    }

    /// This future's key in [`VIEWS`].
    fn suspension_key(&self) -> usize {
        self as *const Self as *const () as usize
    }
}

/// A new future's suspension: running, unobserved.
pub(super) fn new_suspension() -> Cell<Suspension> {
    Cell::new(Suspension::default())
}
