//! [`Member`]: what a group holds of each member future, whatever its task type.

use std::fmt;
use std::rc::Rc;

use traits_core::{Derived, ObserverGuard};

use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::state::{CancelReason, FutureState};

/// A member of a group: a type-erased view of any future's state, with (optionally) its
/// fractional progress. Made from any `&TaskFuture<H>` (or one taken by value) with
/// [`From`]; [`with_fraction`](Self::with_fraction) adds its progress.
///
/// ```
/// use traits_core::{Dependency, Derived};
/// use traits_futures::{submit_call, submit_progress, when_all, Member, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let copy = submit_progress(&executor, |reporter| {
///     for done in 1..=4u32 { reporter.report((done, 4u32))?; }
///     Ok(())
/// })?;
/// let fraction = Derived::new(&[copy.progress() as &dyn Dependency], {
///     let progress = copy.progress().clone();
///     move || progress.get().map_or(0.0, |(done, total)| f64::from(done) / f64::from(total))
/// });
/// let check = submit_call(&executor, || true)?;
/// let both = when_all([Member::from(&copy).with_fraction(fraction), Member::from(&check)]);
/// executor.run_until(|| both.done().get(), None)?;
/// assert_eq!(both.fraction().get(), 1.0);
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Member {
    pub(super) view: Rc<dyn MemberView>,
    pub(super) fraction: Option<Derived<f64>>,
}

impl Member {
    /// This member, whose progress while it runs is `fraction` (0.0 to 1.0, clamped; a member
    /// that is done counts as 1.0 whatever it last reported).
    ///
    /// ```
    /// use traits_core::{Derived, Observable};
    /// use traits_futures::{CallFuture, Member, when_all};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let half = Observable::new(0.5);
    /// let read = half.clone();
    /// let member = Member::from(&future).with_fraction(Derived::new(&[&half], move || read.get()));
    /// assert_eq!(when_all([member]).fraction().get(), 0.5);
    /// ```
    pub fn with_fraction(mut self, fraction: Derived<f64>) -> Self {
        self.fraction = Some(fraction);
        self
    }
}

impl<H: FutureHandler> From<&TaskFuture<H>> for Member {
    fn from(future: &TaskFuture<H>) -> Self {
        Member {
            view: Rc::new(future.clone()),
            fraction: None,
        }
    }
}

impl<H: FutureHandler> From<TaskFuture<H>> for Member {
    fn from(future: TaskFuture<H>) -> Self {
        Member {
            view: Rc::new(future),
            fraction: None,
        }
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("state", &self.view.state())
            .field("has_fraction", &self.fraction.is_some())
            .finish()
    }
}

/// An observer of a member's state, `(old, new)`.
pub(super) type StateObserver = Box<dyn Fn(&FutureState, &FutureState)>;

/// A member as the group's `fraction` reads it.
pub(super) type FractionPart = (Rc<dyn MemberView>, Option<Derived<f64>>);

/// What a group needs of a member future, whatever its task type.
pub(super) trait MemberView {
    fn state(&self) -> FutureState;
    fn observe_state(&self, observer: StateObserver) -> ObserverGuard;
    fn cancel_with(&self, reason: CancelReason) -> bool;
    fn cancel_reason(&self) -> Option<CancelReason>;
}

impl<H: FutureHandler> MemberView for TaskFuture<H> {
    fn state(&self) -> FutureState {
        TaskFuture::state(self).get()
    }
    fn observe_state(&self, observer: StateObserver) -> ObserverGuard {
        TaskFuture::state(self).observe(observer)
    }
    fn cancel_with(&self, reason: CancelReason) -> bool {
        TaskFuture::cancel_with(self, reason)
    }
    fn cancel_reason(&self) -> Option<CancelReason> {
        TaskFuture::cancel_reason(self)
    }
}
