//! [`ErasedFuture`]: a future seen without its handler type, for lists that hold futures of
//! every task type (the executor's live futures).

use std::rc::Rc;

use traits_core::Derived;

use super::{FutureHandler, Inner, TaskFuture};
use crate::future::property::StatusOwner;
use crate::state::CancelReason;

/// A future of any handler type: its status, its cancel, its progress (if its handler has one)
/// and its identity.
pub(crate) trait ErasedFuture {
    /// The owner of the future's status, for its [`FutureProperty`](crate::FutureProperty)s.
    fn status_owner(self: Rc<Self>) -> Rc<dyn StatusOwner>;
    /// [`TaskFuture::cancel`].
    fn cancel(&self) -> bool;
    /// [`FutureHandler::progress_fraction`] of the future's handler.
    fn progress_fraction(&self) -> Option<Derived<Option<f64>>>;
    /// Done, read from the state machine.
    fn is_done(&self) -> bool;
    /// The address of the future's allocation: equal for two handles to one future.
    fn address(&self) -> *const ();
}

impl<H: FutureHandler> ErasedFuture for Inner<H> {
    fn status_owner(self: Rc<Self>) -> Rc<dyn StatusOwner> {
        self
    }

    fn cancel(&self) -> bool {
        self.cancel_with(CancelReason::User)
    }

    fn progress_fraction(&self) -> Option<Derived<Option<f64>>> {
        self.handler.progress_fraction()
    }

    fn is_done(&self) -> bool {
        Inner::is_done(self)
    }

    fn address(&self) -> *const () {
        (self as *const Self).cast()
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// This future without its handler type.
    pub(crate) fn erased(&self) -> Rc<dyn ErasedFuture> {
        Rc::clone(&self.inner) as Rc<dyn ErasedFuture>
    }

    /// The address [`ErasedFuture::address`] gives for this future.
    pub(crate) fn address(&self) -> *const () {
        Rc::as_ptr(&self.inner).cast()
    }
}
