//! The handles an [`ObservableVec`] hands out besides itself: a read ([`VecReadGuard`]) and a
//! weak handle ([`WeakObservableVec`]).

use std::cell::Cell;
use std::fmt;
use std::ops::Deref;
use std::rc::Weak;

use futures_signals::signal_vec::MutableVecLockRef;

use crate::collections::vec::{ObservableVec, VecInner};

/// A handle to an [`ObservableVec`] that does not keep it alive
/// ([`ObservableVec::downgrade`]).
pub struct WeakObservableVec<T> {
    inner: Weak<VecInner<T>>,
}

impl<T> WeakObservableVec<T> {
    pub(super) fn new(inner: Weak<VecInner<T>>) -> Self {
        WeakObservableVec { inner }
    }

    /// The list, if a strong handle still keeps it alive.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::<u8>::new();
    /// assert!(list.downgrade().upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<ObservableVec<T>> {
        self.inner.upgrade().map(|inner| ObservableVec { inner })
    }
}

impl<T> Clone for WeakObservableVec<T> {
    fn clone(&self) -> Self {
        WeakObservableVec {
            inner: Weak::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for WeakObservableVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WeakObservableVec")
    }
}

/// A read of an [`ObservableVec`]: dereferences to the items as a slice. Do not change the list
/// while it is held (that panics).
///
/// ```
/// let list = traits_core::ObservableVec::from(vec![1, 2, 3]);
/// let items = list.lock_ref();
/// assert_eq!(items.iter().sum::<i32>(), 6);
/// assert_eq!(items[1], 2);
/// ```
pub struct VecReadGuard<'a, T> {
    lock: MutableVecLockRef<'a, T>,
    readers: &'a Cell<usize>,
}

impl<'a, T> VecReadGuard<'a, T> {
    /// A read through `lock`, counted in `readers` while it lives (the count is raised
    /// already).
    pub(super) fn new(lock: MutableVecLockRef<'a, T>, readers: &'a Cell<usize>) -> Self {
        VecReadGuard { lock, readers }
    }
}

impl<T> Deref for VecReadGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.lock
    }
}

impl<T> Drop for VecReadGuard<'_, T> {
    fn drop(&mut self) {
        self.readers.set(self.readers.get() - 1);
    }
}

impl<T: fmt::Debug> fmt::Debug for VecReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
