//! [`WeakFuture`]: a handle that does not keep its future alive, for observers registered in the
//! future's own lists (a continuation that reads the result must not own the future it is
//! stored in).

use std::rc::{Rc, Weak};

use super::{FutureHandler, Inner, TaskFuture};

/// A weak handle to a [`TaskFuture`]: [`upgrade`](Self::upgrade) gives the future back while
/// any strong handle (a user's, or the executor's until the task ends) keeps it alive.
pub(crate) struct WeakFuture<H: FutureHandler> {
    inner: Weak<Inner<H>>,
}

impl<H: FutureHandler> Clone for WeakFuture<H> {
    fn clone(&self) -> Self {
        WeakFuture {
            inner: Weak::clone(&self.inner),
        }
    }
}

impl<H: FutureHandler> WeakFuture<H> {
    /// The future, if it is still alive.
    pub(crate) fn upgrade(&self) -> Option<TaskFuture<H>> {
        self.inner.upgrade().map(|inner| TaskFuture { inner })
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// A handle that does not keep this future alive.
    pub(crate) fn downgrade(&self) -> WeakFuture<H> {
        WeakFuture {
            inner: Rc::downgrade(&self.inner),
        }
    }
}
