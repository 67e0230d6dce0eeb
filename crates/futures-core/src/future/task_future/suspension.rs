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

use super::{Driver, FutureHandler, Inner};

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
