//! [`ObservableVec`]: a futures-signals `MutableVec` whose every change observers hear.

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};

use futures_signals::signal_vec::{MutableSignalVec, MutableVec, MutableVecLockMut};

use crate::collections::vec_change::VecChange;
use crate::collections::vec_handles::{VecReadGuard, WeakObservableVec};
use crate::collections::{change_callback, Changes};
use crate::derived::{Dependency, DependentHandle};
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observers::{ObserverList, Tier};

mod operations;

/// An observable list: a futures-signals [`MutableVec`] whose observers hear every change,
/// with its index, the items removed and the items added ([`VecChange`]).
///
/// Two views, as for [`Observable`](crate::Observable):
/// * [`observe`](Self::observe): synchronous observers see every change, in order (lossless),
///   on the thread that made it;
/// * [`signal_vec`](Self::signal_vec): the `MutableVec`'s own diff signal
///   ([`VecDiff`](futures_signals::signal_vec::VecDiff)s), for binding list widgets with
///   futures-signals' combinators.
///
/// # Rules
/// * Each operation changes the list, then notifies, once, if anything changed (a clear of an
///   empty list, a move to the same place, a retain that keeps everything notify nobody).
/// * A change made from inside an observer of the same list is applied at once (reads see it)
///   and delivered after the current notification, so every observer sees every change in
///   order, and a copy that applies the changes as they arrive ([`VecChange::apply_to`])
///   stays equal to the list.
/// * If an observer panics, the change stays made, every other observer still runs, and the
///   first panic resumes on the caller once the notification is over.
/// * An index out of range is refused with [`IndexOutOfRange`](crate::IndexOutOfRange), the
///   list left as it was.
/// * Reads borrow the list ([`lock_ref`](Self::lock_ref), [`with`](Self::with)); changing the
///   list while such a borrow is held panics (it would otherwise deadlock on the `MutableVec`'s
///   lock), as [`Observable::with`](crate::Observable::with) does.
///
/// `ObservableVec` is a cheap handle: [`Clone`] gives another handle to the same list. It is a
/// main-thread object (`!Send`), because its observers may capture GUI widgets.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{ObservableVec, VecChange};
///
/// let names = ObservableVec::from(vec!["Ann".to_string()]);
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _guard = names.observe({
///     let log = log.clone();
///     move |change: &VecChange<String>| log.borrow_mut().push(change.clone())
/// });
/// names.push("Bob".to_string());
/// names.set(0, "Amy".to_string())?;
/// assert_eq!(
///     *log.borrow(),
///     [
///         VecChange::Splice { index: 1, removed: vec![], added: vec!["Bob".to_string()] },
///         VecChange::Splice { index: 0, removed: vec!["Ann".to_string()], added: vec!["Amy".to_string()] },
///     ]
/// );
/// # Ok::<(), traits_core::IndexOutOfRange>(())
/// ```
pub struct ObservableVec<T> {
    pub(super) inner: Rc<VecInner<T>>,
}

pub(super) struct VecInner<T> {
    values: MutableVec<T>,
    /// How many reads ([`VecReadGuard`]s) are alive: a change then would deadlock on the
    /// `MutableVec`'s lock, so it panics with a message instead.
    pub(super) readers: Cell<usize>,
    observers: ObserverList<Changes<VecChange<T>>>,
}

impl<T: 'static> Unobserve for VecInner<T> {
    fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

impl<T> Clone for ObservableVec<T> {
    fn clone(&self) -> Self {
        ObservableVec {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: Clone + 'static> ObservableVec<T> {
    /// An empty list.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::<u8>::new();
    /// assert!(list.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::from(Vec::new())
    }

    fn owner(&self) -> Weak<dyn Unobserve> {
        Rc::downgrade(&self.inner) as Weak<dyn Unobserve>
    }

    /// A handle that does not keep the list alive (for an observer elsewhere that changes this
    /// list, and must not hold it).
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1]);
    /// let weak = list.downgrade();
    /// weak.upgrade().unwrap().push(2);
    /// assert_eq!(list.to_vec(), [1, 2]);
    /// drop(list);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakObservableVec<T> {
        WeakObservableVec::new(Rc::downgrade(&self.inner))
    }

    /// Registers `observer`, called with every change from now on, until the guard drops.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let list = traits_core::ObservableVec::new();
    /// let changes = Rc::new(Cell::new(0));
    /// let _guard = list.observe({ let c = changes.clone(); move |_| c.set(c.get() + 1) });
    /// list.push(1);
    /// list.clear();
    /// list.clear(); // already empty: no change
    /// assert_eq!(changes.get(), 2);
    /// ```
    pub fn observe(&self, observer: impl Fn(&VecChange<T>) + 'static) -> ObserverGuard {
        self.inner
            .observers
            .add(Tier::Observer, change_callback(observer), self.owner())
    }

    /// The number of registered observers and dependents (for tests and leak checks).
    ///
    /// ```
    /// let list = traits_core::ObservableVec::<u8>::new();
    /// let guard = list.observe(|_| {});
    /// assert_eq!(list.observer_count(), 1);
    /// drop(guard);
    /// assert_eq!(list.observer_count(), 0);
    /// ```
    pub fn observer_count(&self) -> usize {
        self.inner.observers.len()
    }

    /// The `MutableVec`'s diff signal: the current items first (as one `Replace`, if there are
    /// any), then a [`VecDiff`](futures_signals::signal_vec::VecDiff) per change, for binding a
    /// list widget (`signal_vec().map(...)`, `.len()`, `.to_signal_cloned()`...).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal_vec::{SignalVecExt, VecDiff};
    ///
    /// let list = traits_core::ObservableVec::from(vec![1]);
    /// let mut diffs = list.signal_vec().to_stream();
    /// list.push(2);
    /// assert_eq!(block_on(diffs.next()), Some(VecDiff::Replace { values: vec![1] }));
    /// assert_eq!(block_on(diffs.next()), Some(VecDiff::Push { value: 2 }));
    /// ```
    pub fn signal_vec(&self) -> MutableSignalVec<T> {
        self.inner.values.signal_vec_cloned()
    }

    /// Borrows the items (a slice); changing the list while the borrow is held panics.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec!["a", "b"]);
    /// assert_eq!(list.lock_ref().join(""), "ab");
    /// ```
    pub fn lock_ref(&self) -> VecReadGuard<'_, T> {
        let inner = &*self.inner;
        inner.readers.set(inner.readers.get() + 1);
        VecReadGuard::new(inner.values.lock_ref(), &inner.readers)
    }

    /// Calls `f` with the items, without cloning them; changing the list inside `f` panics.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![3, 4]);
    /// assert_eq!(list.with(|items| items.iter().max().copied()), Some(4));
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        f(&self.lock_ref())
    }

    /// The number of items.
    ///
    /// ```
    /// assert_eq!(traits_core::ObservableVec::from(vec![1, 2]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.lock_ref().len()
    }

    /// True when the list has no items.
    ///
    /// ```
    /// assert!(traits_core::ObservableVec::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A clone of the item at `index`, if there is one.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec!['x']);
    /// assert_eq!(list.get(0), Some('x'));
    /// assert_eq!(list.get(1), None);
    /// ```
    pub fn get(&self, index: usize) -> Option<T> {
        self.lock_ref().get(index).cloned()
    }

    /// A clone of every item, in order.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// list.push(3);
    /// assert_eq!(list.to_vec(), [1, 2, 3]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.lock_ref().to_vec()
    }

    /// Changes the list under its write lock with `change`, which is told whether anybody
    /// listens (so that it clones items for the notification only then) and returns its result
    /// and the notification, if any; then notifies, with the lock released.
    fn change<R>(
        &self,
        change: impl FnOnce(&mut MutableVecLockMut<'_, T>, bool) -> (R, Option<VecChange<T>>),
    ) -> R {
        self.change_many(|values, listened| {
            let (result, change) = change(values, listened);
            (result, change.map(Changes::One))
        })
    }

    /// [`change`](Self::change), for an operation that may make several changes: they are
    /// delivered as one payload.
    fn change_many<R>(
        &self,
        change: impl FnOnce(&mut MutableVecLockMut<'_, T>, bool) -> (R, Option<Changes<VecChange<T>>>),
    ) -> R {
        let inner = &*self.inner;
        assert!(
            inner.readers.get() == 0,
            "traits-core: an ObservableVec was changed while a `lock_ref()` or `with` of it was \
             held; drop the borrow first"
        );
        let listened = !inner.observers.is_empty();
        let (result, notification) = change(&mut inner.values.lock_mut(), listened);
        if let Some(notification) = notification {
            inner.observers.emit(notification);
        }
        result
    }
}

impl<T: Clone + 'static> Dependency for ObservableVec<T> {
    /// A [`Derived`](crate::Derived) over a list recomputes after each of its changes.
    ///
    /// ```
    /// use traits_core::{Dependency, Derived, ObservableVec};
    /// let list = ObservableVec::from(vec![1, 2]);
    /// let total = Derived::new(&[&list as &dyn Dependency], {
    ///     let list = list.clone();
    ///     move || list.with(|items| items.iter().sum::<i32>())
    /// });
    /// list.push(3);
    /// assert_eq!(total.get(), 6);
    /// ```
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.inner.observers.add_dependent(dependent, self.owner())
    }
}

impl<T: Clone + 'static> From<Vec<T>> for ObservableVec<T> {
    /// A list holding `values`.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// assert_eq!(list.len(), 2);
    /// ```
    fn from(values: Vec<T>) -> Self {
        ObservableVec {
            inner: Rc::new(VecInner {
                values: MutableVec::new_with_values(values),
                readers: Cell::new(0),
                observers: ObserverList::new(),
            }),
        }
    }
}

impl<T: Clone + 'static> Default for ObservableVec<T> {
    fn default() -> Self {
        ObservableVec::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for ObservableVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ObservableVec")
            .field(&&*self.inner.values.lock_ref())
            .finish()
    }
}
