//! [`Derived`]: a read-only property computed from other observables.

use std::fmt;
use std::rc::{Rc, Weak};

use futures_signals::signal::MutableSignalCloned;

use crate::cached::{CachedNode, ChangeCounter, Counted};
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observable::ValueCell;

/// Something to recompute when a source changes: a [`Derived`](crate::Derived) property, or a
/// type of yours that keeps derived values up to date itself.
///
/// Register one with any [`Dependency`](crate::Dependency) through a
/// [`DependentHandle`](crate::DependentHandle). Sources hold it weakly: once nobody holds it,
/// it simply stops being called. It is called in the source's dependents tier, after every
/// observer of the source, once per change, in order.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use traits_core::{Dependency, DependentHandle, Observable, Recompute};
///
/// /// Counts the changes of whatever it depends on.
/// struct Changes(Cell<u32>);
/// impl Recompute for Changes {
///     fn source_changed(&self) { self.0.set(self.0.get() + 1) }
/// }
///
/// let value = Observable::new(1);
/// let changes = Rc::new(Changes(Cell::new(0)));
/// let _guard = value.add_dependent(DependentHandle::new(&changes));
/// value.set(2);
/// value.set(2); // no change
/// assert_eq!(changes.0.get(), 1);
/// ```
pub trait Recompute {
    /// One of the sources changed; its new value is already stored.
    fn source_changed(&self);
}

/// A dependent, as its sources hold it: weakly, so that dropping the dependent stops its
/// recomputation. [`Derived::new`] makes them for its sources; [`DependentHandle::new`] makes one
/// for a [`Recompute`] of your own.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use traits_core::{Dependency, DependentHandle, Observable, Recompute};
///
/// struct Changes(Cell<u32>);
/// impl Recompute for Changes {
///     fn source_changed(&self) { self.0.set(self.0.get() + 1) }
/// }
///
/// let source = Observable::new(0);
/// let changes = Rc::new(Changes(Cell::new(0)));
/// let _guard = source.add_dependent(DependentHandle::new(&changes));
/// source.set(1);
/// let weak = Rc::downgrade(&changes);
/// drop(changes); // the source held it weakly: it is gone, and is not called again
/// source.set(2);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct DependentHandle(pub(crate) Weak<dyn Recompute>);

impl DependentHandle {
    /// A handle to `dependent`, held weakly.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use traits_core::{Dependency, DependentHandle, Observable, Recompute};
    /// struct Log;
    /// impl Recompute for Log { fn source_changed(&self) { println!("changed") } }
    /// let log = Rc::new(Log);
    /// let source = Observable::new(0);
    /// let _guard = source.add_dependent(DependentHandle::new(&log));
    /// ```
    pub fn new<R: Recompute + 'static>(dependent: &Rc<R>) -> Self {
        let weak: Weak<dyn Recompute> = Rc::downgrade(dependent) as Weak<dyn Recompute>;
        DependentHandle(weak)
    }
}

impl fmt::Debug for DependentHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DependentHandle")
    }
}

/// Something a [`Derived`] property can depend on: it recomputes the property after each change,
/// in its dependents tier (after all of its own observers).
///
/// Implemented by [`Observable`](crate::Observable), [`Derived`] and
/// [`ValidatedObservable`](crate::ValidatedObservable).
///
/// ```
/// use traits_core::{Dependency, Derived, Observable};
/// let a = Observable::new(1);
/// let b = Observable::new(2);
/// let deps: [&dyn Dependency; 2] = [&a, &b];
/// let (a2, b2) = (a.clone(), b.clone());
/// let sum = Derived::new(&deps, move || a2.get() + b2.get());
/// assert_eq!(sum.get(), 3);
/// ```
pub trait Dependency {
    /// Registers a derived property as a dependent; it stays registered until the guard drops.
    /// Called by [`Derived::new`]; there is no need to call it directly.
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard;

    /// The source's count of changes, which a [cached](Derived::cached) property compares to
    /// know whether its value is still up to date; `None` (the default) when the source keeps
    /// no count, and a cached property over it evaluates on every read.
    ///
    /// [`Observable`](crate::Observable), [`ValidatedObservable`](crate::ValidatedObservable)
    /// and cached properties keep one; a [`Derived::new`] property does not.
    ///
    /// ```
    /// use traits_core::{Dependency, Observable};
    /// let value = Observable::new(1);
    /// let counter = value.change_counter().unwrap();
    /// value.set(2);
    /// value.set(2); // no change
    /// assert_eq!(counter.count(), Some(1));
    /// ```
    fn change_counter(&self) -> Option<ChangeCounter> {
        None
    }
}

/// A read-only property whose value is a function of one or more other observables.
///
/// * [`get`](Self::get) computes the value from the sources, so it is consistent with them even
///   while the sources' own observers run.
/// * Observers of a `Derived` are notified after all observers of its sources, and only when the
///   computed value actually changed (`PartialEq`).
/// * There is no `set`: the value changes only through its sources.
///
/// `Derived` is a cheap handle ([`Clone`]); the sources keep no strong reference to it, so a
/// derived property that nobody holds stops being computed.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{Dependency, Derived, Observable};
///
/// let first = Observable::new("Ada".to_string());
/// let last = Observable::new("Lovelace".to_string());
/// let full = Derived::new(&[&first as &dyn Dependency, &last], {
///     let (first, last) = (first.clone(), last.clone());
///     move || format!("{} {}", first.get(), last.get())
/// });
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let _g = full.observe({ let seen = seen.clone(); move |_, new| seen.borrow_mut().push(new.clone()) });
/// last.set("Byron".to_string());
/// assert_eq!(*seen.borrow(), ["Ada Byron"]);
/// ```
pub struct Derived<U> {
    node: Rc<dyn Node<U>>,
}

/// The type-erased body of a derived property.
pub(crate) trait Node<U>: Unobserve + Counted {
    /// The last computed value, stored to detect changes and to drive observers and the signal.
    fn cache(&self) -> &ValueCell<U>;
    /// The current value (computed, or a cached node's memo when its sources did not change).
    fn compute(&self) -> U;
    /// The current value, evaluated now whatever the sources' counts say.
    fn refresh(&self) -> U {
        self.compute()
    }
}

/// One allocation per derived property: the cache, the function and the source registrations.
struct NodeImpl<U, F> {
    cache: ValueCell<U>,
    compute: F,
    /// Kept only to unregister from the sources when the property is dropped.
    #[allow(dead_code)]
    sources: SourceGuards,
}

/// The registrations with the sources; the common single source needs no vector.
pub(crate) enum SourceGuards {
    None,
    One(#[allow(dead_code)] ObserverGuard),
    Many(#[allow(dead_code)] Vec<ObserverGuard>),
}

impl<U: Clone + PartialEq + 'static, F: Fn() -> U + 'static> Node<U> for NodeImpl<U, F> {
    fn cache(&self) -> &ValueCell<U> {
        &self.cache
    }
    fn compute(&self) -> U {
        (self.compute)()
    }
}

impl<U, F> Counted for NodeImpl<U, F> {
    /// An uncached property keeps no count of its own.
    fn count(&self) -> Option<u64> {
        None
    }
}

impl<U: Clone + PartialEq + 'static, F: Fn() -> U + 'static> Recompute for NodeImpl<U, F> {
    fn source_changed(&self) {
        self.cache.set((self.compute)());
    }
}

impl<U: 'static, F> Unobserve for NodeImpl<U, F> {
    fn unobserve(&self, key: ObserverKey) {
        self.cache.unobserve(key);
    }
}

impl<U> Clone for Derived<U> {
    fn clone(&self) -> Self {
        Derived {
            node: Rc::clone(&self.node),
        }
    }
}

impl<U: Clone + PartialEq + 'static> Derived<U> {
    /// Creates a property computed by `compute` and recomputed whenever any of `sources` changes.
    ///
    /// `compute` should read the sources it depends on (capture clones of their handles).
    ///
    /// ```
    /// use traits_core::{Dependency, Derived, Observable};
    /// let width = Observable::new(2);
    /// let area = Derived::new(&[&width as &dyn Dependency], {
    ///     let width = width.clone();
    ///     move || width.get() * width.get()
    /// });
    /// width.set(3);
    /// assert_eq!(area.get(), 9);
    /// ```
    pub fn new(sources: &[&dyn Dependency], compute: impl Fn() -> U + 'static) -> Self {
        let cache = ValueCell::new(compute());
        // Registered while the node is being built: a source only upgrades its weak handle
        // when it changes, which cannot happen during this call.
        let node = Rc::new_cyclic(|weak: &Weak<NodeImpl<U, _>>| {
            let weak: Weak<dyn Recompute> = weak.clone();
            let sources = register_all(sources, &weak);
            NodeImpl {
                cache,
                compute,
                sources,
            }
        });
        Derived { node }
    }

    /// Creates a *cached* property: like [`new`](Self::new), but `compute` runs only when one of
    /// `sources` changed since its last run, and [`get`](Self::get) returns the stored result
    /// otherwise (Traits' `cached_property`). Observers are notified only when the result changes.
    ///
    /// Whether a source changed is known from its [change count](Dependency::change_counter):
    /// [`Observable`](crate::Observable), [`ValidatedObservable`](crate::ValidatedObservable)
    /// and cached properties keep one. Over a source that keeps none (a [`Derived::new`]
    /// property), the property evaluates on every read, as `new` does. `get` is up to date even
    /// inside an observer of a source, before the property's own notification: it evaluates
    /// then, and that evaluation serves the notification too.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_core::{Dependency, Derived, Observable};
    ///
    /// let words = Observable::new(vec!["a", "b"]);
    /// let runs = Rc::new(Cell::new(0));
    /// let count = Derived::cached(&[&words as &dyn Dependency], {
    ///     let (words, runs) = (words.clone(), runs.clone());
    ///     move || { runs.set(runs.get() + 1); words.with(Vec::len) }
    /// });
    /// assert_eq!((count.get(), count.get()), (2, 2));
    /// assert_eq!(runs.get(), 1); // computed once, when it was made
    /// words.set(vec!["c"]);
    /// assert_eq!(count.get(), 1);
    /// assert_eq!(runs.get(), 2); // once more, for the change
    /// ```
    pub fn cached(sources: &[&dyn Dependency], compute: impl Fn() -> U + 'static) -> Self {
        let counters = sources
            .iter()
            .map(|source| source.change_counter())
            .collect();
        let node = Rc::new_cyclic(|weak: &Weak<CachedNode<U, _>>| {
            let weak: Weak<dyn Recompute> = weak.clone();
            CachedNode::new(compute, counters, register_all(sources, &weak))
        });
        Derived { node }
    }

    fn owner(&self) -> Weak<dyn Unobserve> {
        let weak: Weak<dyn Node<U>> = Rc::downgrade(&self.node);
        weak as Weak<dyn Unobserve>
    }

    /// Recomputes the value now, and notifies observers if it changed.
    ///
    /// Sources call this by themselves; call it for a property whose inputs are not all
    /// observables (created with fewer sources, or none), when you know that they changed.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_core::Derived;
    /// let input = Rc::new(Cell::new(1)); // not an observable
    /// let double = Derived::new(&[], { let input = input.clone(); move || input.get() * 2 });
    /// let seen = Rc::new(Cell::new(0));
    /// let _g = double.observe({ let seen = seen.clone(); move |_, new| seen.set(*new) });
    /// input.set(5);
    /// double.recompute();
    /// assert_eq!(seen.get(), 10);
    /// ```
    pub fn recompute(&self) {
        self.node.cache().set(self.node.refresh());
    }

    /// The current value, computed from the sources.
    ///
    /// ```
    /// let n = traits_core::Observable::new(2);
    /// let double = n.map(|n| n * 2);
    /// assert_eq!(double.get(), 4);
    /// ```
    pub fn get(&self) -> U {
        self.node.compute()
    }

    /// Registers `observer`, called with `(old, new)` whenever the computed value changes.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let n = traits_core::Observable::new(1);
    /// let positive = n.map(|n| *n > 0);
    /// let flips = Rc::new(Cell::new(0));
    /// let _g = positive.observe({ let f = flips.clone(); move |_, _| f.set(f.get() + 1) });
    /// n.set(2); // still positive: no notification
    /// n.set(-1);
    /// assert_eq!(flips.get(), 1);
    /// ```
    pub fn observe(&self, observer: impl Fn(&U, &U) + 'static) -> ObserverGuard {
        self.node.cache().observe(observer, self.owner())
    }

    /// A futures-signals signal of the computed value (latest-value view).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// let n = traits_core::Observable::new(3);
    /// let square = n.map(|n| n * n);
    /// assert_eq!(block_on(square.signal().to_stream().next()), Some(9));
    /// ```
    pub fn signal(&self) -> MutableSignalCloned<U> {
        self.node.cache().signal()
    }

    /// A property derived from this one by `f`.
    ///
    /// ```
    /// let n = traits_core::Observable::new(3);
    /// let label = n.map(|n| n * 10).map(|n| format!("{n} units"));
    /// assert_eq!(label.get(), "30 units");
    /// ```
    pub fn map<V: Clone + PartialEq + 'static>(&self, f: impl Fn(&U) -> V + 'static) -> Derived<V> {
        let source = self.clone();
        Derived::new(&[self as &dyn Dependency], move || f(&source.get()))
    }

    /// The number of registered observers and dependents of this property.
    ///
    /// ```
    /// let n = traits_core::Observable::new(3);
    /// let d = n.map(|n| *n);
    /// assert_eq!(d.observer_count(), 0);
    /// ```
    pub fn observer_count(&self) -> usize {
        self.node.cache().observer_count()
    }
}

impl<U: Clone + PartialEq + 'static> Dependency for Derived<U> {
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.node.cache().add_dependent(dependent, self.owner())
    }

    fn change_counter(&self) -> Option<ChangeCounter> {
        // Only a cached node keeps a count.
        self.node.count()?;
        let node: Rc<dyn Node<U>> = Rc::clone(&self.node);
        Some(ChangeCounter::new(node))
    }
}

/// Registers `dependent` with every source; a source only upgrades its weak handle when it
/// changes, which cannot happen while the node is being built.
fn register_all(sources: &[&dyn Dependency], dependent: &Weak<dyn Recompute>) -> SourceGuards {
    let register =
        |source: &&dyn Dependency| source.add_dependent(DependentHandle(dependent.clone()));
    match sources {
        [] => SourceGuards::None,
        [source] => SourceGuards::One(register(source)),
        sources => SourceGuards::Many(sources.iter().map(register).collect()),
    }
}

impl<U: Clone + PartialEq + fmt::Debug + 'static> fmt::Debug for Derived<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Derived").field(&self.get()).finish()
    }
}
