//! [`Observable`]: a typed value that notifies on change.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};

use futures_signals::signal::{Mutable, MutableSignalCloned};

use crate::cached::{ChangeCounter, Counted};
use crate::callback::Callback;
use crate::chain::{self, Holder, ObservableValue};
use crate::derived::{Dependency, DependentHandle, Derived};
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observers::{ObserverList, Tier};

/// A typed value that notifies observers, with the old and the new value, whenever it changes.
///
/// [`signal`](Self::signal) gives the latest-value view UI code binds to with futures-signals
/// combinators (backed by a [`futures_signals::signal::Mutable`], created on the first call so
/// that values nobody binds to cost one allocation), while [`observe`](Self::observe) gives a
/// lossless, synchronous view: every change, in order.
///
/// `Observable` is a cheap handle: [`Clone`] gives another handle to the same value. It is a
/// main-thread object (`!Send`), because its observers may capture GUI widgets.
///
/// # Rules
/// * [`set`](Self::set) stores the value, then notifies, only if the new value differs
///   (`PartialEq`).
/// * Observers run synchronously on the thread that called `set`, in registration order, and
///   after them the dependents (derived properties, then nothing else).
/// * A `set` of the same observable from inside one of its observers is queued: the current
///   notification finishes first, then the next change is delivered, so every observer sees
///   every change in order. [`get`](Self::get) always returns the latest stored value.
/// * If an observer panics, the value stays set, every other observer still runs, and the first
///   panic resumes on the caller of `set` when the notification is over.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::Observable;
///
/// let name = Observable::new(String::from("Ann"));
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _guard = name.observe({
///     let log = log.clone();
///     move |old, new| log.borrow_mut().push(format!("{old} -> {new}"))
/// });
/// name.set("Bob".to_string());
/// name.set("Bob".to_string()); // equal: no notification
/// assert_eq!(*log.borrow(), ["Ann -> Bob"]);
/// ```
pub struct Observable<T> {
    inner: Rc<ValueCell<T>>,
}

/// A value with its observers and (lazily) its signal source: the body of an [`Observable`],
/// and the cache of a [`Derived`].
pub(crate) struct ValueCell<T> {
    value: RefCell<T>,
    /// Mirrors `value` once somebody asked for a signal.
    mutable: OnceCell<Mutable<T>>,
    observers: ObserverList<(T, T)>,
    /// The number of stored changes, for the cached derived properties that depend on it.
    changes: Cell<u64>,
}

impl<T: Clone + PartialEq + 'static> ValueCell<T> {
    pub(crate) fn new(value: T) -> Self {
        ValueCell {
            value: RefCell::new(value),
            mutable: OnceCell::new(),
            observers: ObserverList::new(),
            changes: Cell::new(0),
        }
    }

    pub(crate) fn get(&self) -> T {
        self.value.borrow().clone()
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.value.borrow())
    }

    /// Stores `value` if it differs; then updates the signal, then notifies. Returns whether it
    /// changed.
    pub(crate) fn set(&self, value: T) -> bool {
        let old = {
            let mut current = self.value.borrow_mut();
            if *current == value {
                return false;
            }
            std::mem::replace(&mut *current, value)
        };
        self.changes.set(self.changes.get() + 1);
        if self.mutable.get().is_some() || !self.observers.is_empty() {
            self.notify(old);
        }
        true
    }

    /// Tells the signal's mirror and the observers of a change from `old`. Apart from
    /// [`set`](Self::set), whose common case (nobody listens) thus needs no stack frame of
    /// its own.
    #[inline(never)]
    fn notify(&self, old: T) {
        if let Some(mutable) = self.mutable.get() {
            mutable.set(self.get());
        }
        if !self.observers.is_empty() {
            self.observers.emit((old, self.get()));
        }
    }

    pub(crate) fn observe(
        &self,
        observer: impl Fn(&T, &T) + 'static,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        self.observers.add(
            Tier::Observer,
            Callback::new(move |(old, new): &(T, T)| {
                observer(old, new);
                true
            }),
            owner,
        )
    }

    pub(crate) fn add_dependent(
        &self,
        dependent: DependentHandle,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        self.observers.add_dependent(dependent, owner)
    }

    pub(crate) fn signal(&self) -> MutableSignalCloned<T> {
        self.mutable
            .get_or_init(|| Mutable::new(self.get()))
            .signal_cloned()
    }

    pub(crate) fn observer_count(&self) -> usize {
        self.observers.len()
    }
}

impl<T> Counted for ValueCell<T> {
    fn count(&self) -> Option<u64> {
        Some(self.changes.get())
    }
}

impl<T: 'static> Unobserve for ValueCell<T> {
    fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

impl<T: fmt::Debug> fmt::Debug for ValueCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value.borrow(), f)
    }
}

impl<T> Clone for Observable<T> {
    fn clone(&self) -> Self {
        Observable {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: Clone + PartialEq + 'static> Observable<T> {
    /// Creates an observable holding `value`.
    ///
    /// ```
    /// let count = traits_core::Observable::new(3);
    /// assert_eq!(count.get(), 3);
    /// ```
    pub fn new(value: T) -> Self {
        Observable {
            inner: Rc::new(ValueCell::new(value)),
        }
    }

    fn owner(&self) -> Weak<dyn Unobserve> {
        Rc::downgrade(&self.inner) as Weak<dyn Unobserve>
    }

    /// Returns a clone of the current value.
    ///
    /// ```
    /// let word = traits_core::Observable::new("hi".to_string());
    /// assert_eq!(word.get(), "hi");
    /// ```
    pub fn get(&self) -> T {
        self.inner.get()
    }

    /// Calls `f` with a reference to the current value, without cloning it.
    ///
    /// Do not call [`set`](Self::set) on the same observable from inside `f` (it would panic:
    /// the value is borrowed).
    ///
    /// ```
    /// let items = traits_core::Observable::new(vec![1, 2, 3]);
    /// assert_eq!(items.with(|v| v.len()), 3);
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.inner.with(f)
    }

    /// Stores `value` and notifies observers if it differs from the current value.
    ///
    /// Returns whether the value changed. See the type's documentation for re-entrancy and panics.
    ///
    /// ```
    /// let flag = traits_core::Observable::new(false);
    /// assert!(flag.set(true));
    /// assert!(!flag.set(true));
    /// ```
    pub fn set(&self, value: T) -> bool {
        self.inner.set(value)
    }

    /// Registers `observer`, called with `(old, new)` after every change, until the guard drops.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let level = traits_core::Observable::new(1);
    /// let last = Rc::new(Cell::new((0, 0)));
    /// let _g = level.observe({ let last = last.clone(); move |old, new| last.set((*old, *new)) });
    /// level.set(2);
    /// assert_eq!(last.get(), (1, 2));
    /// ```
    pub fn observe(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        self.inner.observe(observer, self.owner())
    }

    /// Observes `field` of the object this observable holds (Traits' `observe("child.value")`),
    /// following the held object as it changes: `observer` is called with `(old, new)`
    /// [resolved](Holder::Resolved) values (the field's value for an `Rc<Child>`, `Option` of it
    /// for an `Option<Rc<Child>>`) until the guard drops.
    ///
    /// * A change of the current object's field notifies, as [`observe`](Self::observe) would.
    /// * When this observable switches to another object, the old one is unobserved first, then
    ///   the observer is called once with the old and the new resolved value if they differ
    ///   (a switch between objects whose fields are equal is silent).
    /// * An object this observable no longer holds is never heard again, not even while the
    ///   switch is still queued behind a running notification of this observable.
    /// * The rules of re-entrancy and panics are those of the observables involved; the
    ///   observer runs at rank 0 of the field's list, among its other observers.
    ///
    /// The field is any [`ObservableValue`]: an [`Observable`], a
    /// [`ValidatedObservable`](crate::ValidatedObservable) or a [`Derived`].
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_core::{has_traits, Observable};
    ///
    /// has_traits! {
    ///     pub struct Document { pub title: String = String::new() }
    /// }
    /// let doc = |title: &str| { let d = Document::new(); d.title.set(title.into()); Rc::new(d) };
    ///
    /// let (first, second) = (doc("a"), doc("b"));
    /// let active: Observable<Option<Rc<Document>>> = Observable::new(Some(first.clone()));
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let _guard = active.observe_chain(|d| &d.title, {
    ///     let seen = seen.clone();
    ///     move |old, new| seen.borrow_mut().push((old.clone(), new.clone()))
    /// });
    /// first.title.set("a2".into());
    /// active.set(Some(second.clone())); // switches: "a2" -> "b"
    /// first.title.set("a3".into()); // not held any more: not heard
    /// active.set(None);
    /// assert_eq!(*seen.borrow(), [
    ///     (Some("a".into()), Some("a2".into())),
    ///     (Some("a2".into()), Some("b".into())),
    ///     (Some("b".into()), None),
    /// ]);
    /// ```
    pub fn observe_chain<O, A, C>(&self, field: A, observer: C) -> ObserverGuard
    where
        T: Holder,
        O: ObservableValue + 'static,
        A: Fn(&T::Child) -> &O + 'static,
        C: Fn(&T::Resolved<O::Value>, &T::Resolved<O::Value>) + 'static,
        T::Resolved<O::Value>: Clone + PartialEq + 'static,
    {
        chain::observe(&self.inner, field, observer)
    }

    /// A futures-signals [`Signal`](futures_signals::signal::Signal) of the value: the current
    /// value first, then the latest value whenever the signal is polled after changes
    /// (intermediate values may be skipped; use [`observe`](Self::observe) to see every change).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    ///
    /// let value = traits_core::Observable::new(7);
    /// let mut stream = value.signal().to_stream();
    /// assert_eq!(block_on(stream.next()), Some(7));
    /// ```
    pub fn signal(&self) -> MutableSignalCloned<T> {
        self.inner.signal()
    }

    /// A read-only property derived from this value by `f`, notifying only when its result changes.
    ///
    /// ```
    /// let count = traits_core::Observable::new(1);
    /// let even = count.map(|n| n % 2 == 0);
    /// assert!(!even.get());
    /// count.set(4);
    /// assert!(even.get());
    /// ```
    pub fn map<U: Clone + PartialEq + 'static>(&self, f: impl Fn(&T) -> U + 'static) -> Derived<U> {
        let source = self.clone();
        Derived::new(&[self as &dyn Dependency], move || source.with(&f))
    }

    /// The number of registered observers and dependents (for tests and leak checks).
    ///
    /// ```
    /// let value = traits_core::Observable::new(0);
    /// let guard = value.observe(|_, _| {});
    /// assert_eq!(value.observer_count(), 1);
    /// drop(guard);
    /// assert_eq!(value.observer_count(), 0);
    /// ```
    pub fn observer_count(&self) -> usize {
        self.inner.observer_count()
    }
}

impl<T: Clone + PartialEq + 'static> Dependency for Observable<T> {
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.inner.add_dependent(dependent, self.owner())
    }

    fn change_counter(&self) -> Option<ChangeCounter> {
        Some(ChangeCounter::new(self.inner.clone()))
    }
}

impl<T: Clone + PartialEq + Default + 'static> Default for Observable<T> {
    fn default() -> Self {
        Observable::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Observable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Observable").field(&*self.inner).finish()
    }
}
