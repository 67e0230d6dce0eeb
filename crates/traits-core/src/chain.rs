//! Chained observation ([`Observable::observe_chain`](crate::Observable::observe_chain)): a
//! field of the object an observable holds, followed from one object to the next (Traits'
//! `observe("child.value")`).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr;
use std::rc::{Rc, Weak};

use crate::derived::Derived;
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observable::{Observable, ValueCell};
use crate::validated::ValidatedObservable;

/// A value that holds (or may hold) an object whose fields can be observed through it with
/// [`Observable::observe_chain`](crate::Observable::observe_chain): `Rc<C>` always holds one,
/// `Option<Rc<C>>` may hold none.
///
/// [`Resolved<V>`](Holder::Resolved) is what a chained observer is told: the field's value for
/// `Rc<C>`, `Option` of it for `Option<Rc<C>>` (`None` while no object is held).
///
/// ```
/// use std::rc::Rc;
/// use traits_core::Holder;
/// let held: Option<Rc<(u8, u8)>> = Some(Rc::new((1, 2)));
/// assert_eq!(held.resolve(|pair| pair.1), Some(2));
/// assert_eq!(None::<Rc<(u8, u8)>>.resolve(|pair| pair.1), None);
/// assert_eq!(Rc::new((1, 2)).resolve(|pair| pair.0), 1);
/// ```
pub trait Holder: 'static {
    /// The type of the held object.
    type Child: 'static;
    /// What a chained observer sees of the field's value `V`.
    type Resolved<V>;

    /// The held object, if any.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use traits_core::Holder;
    /// assert_eq!(Some(Rc::new(3)).held(), Some(&3));
    /// ```
    fn held(&self) -> Option<&Self::Child>;

    /// What an observer sees: `read` of the held object, or the "none held" value.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use traits_core::Holder;
    /// assert_eq!(Rc::new("abc").resolve(|s| s.len()), 3);
    /// ```
    fn resolve<V>(&self, read: impl FnOnce(&Self::Child) -> V) -> Self::Resolved<V>;

    /// What an observer sees of `value`, read from a held object.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use traits_core::Holder;
    /// assert_eq!(<Option<Rc<String>>>::present(7), Some(7));
    /// ```
    fn present<V>(value: V) -> Self::Resolved<V>;
}

impl<C: 'static> Holder for Rc<C> {
    type Child = C;
    type Resolved<V> = V;

    fn held(&self) -> Option<&C> {
        Some(self)
    }

    fn resolve<V>(&self, read: impl FnOnce(&C) -> V) -> V {
        read(self)
    }

    fn present<V>(value: V) -> V {
        value
    }
}

impl<C: 'static> Holder for Option<Rc<C>> {
    type Child = C;
    type Resolved<V> = Option<V>;

    fn held(&self) -> Option<&C> {
        self.as_deref()
    }

    fn resolve<V>(&self, read: impl FnOnce(&C) -> V) -> Option<V> {
        self.as_deref().map(read)
    }

    fn present<V>(value: V) -> Option<V> {
        Some(value)
    }
}

/// A value with a current value and observers of its changes: [`Observable`],
/// [`ValidatedObservable`] and [`Derived`]; the fields a chained observer can follow.
///
/// ```
/// use traits_core::{Observable, ObservableValue};
/// fn describe<O: ObservableValue<Value = u32>>(value: &O) -> String {
///     format!("now {}", ObservableValue::get(value))
/// }
/// let count = Observable::new(3);
/// assert_eq!(describe(&count), "now 3");
/// assert_eq!(describe(&count.map(|n| n * 2)), "now 6");
/// ```
pub trait ObservableValue {
    /// The type of the value.
    type Value: Clone + PartialEq + 'static;

    /// A clone of the current value.
    ///
    /// ```
    /// use traits_core::{Observable, ObservableValue};
    /// assert_eq!(ObservableValue::get(&Observable::new(1)), 1);
    /// ```
    fn get(&self) -> Self::Value;

    /// Registers `observer`, called with `(old, new)` after every change, until the guard drops.
    ///
    /// ```
    /// use traits_core::{Observable, ObservableValue};
    /// let value = Observable::new(1);
    /// let _guard = ObservableValue::observe(&value, |old, new| println!("{old} -> {new}"));
    /// value.set(2);
    /// ```
    fn observe(&self, observer: impl Fn(&Self::Value, &Self::Value) + 'static) -> ObserverGuard;
}

impl<T: Clone + PartialEq + 'static> ObservableValue for Observable<T> {
    type Value = T;
    fn get(&self) -> T {
        Observable::get(self)
    }
    fn observe(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        Observable::observe(self, observer)
    }
}

impl<T: Clone + PartialEq + 'static> ObservableValue for ValidatedObservable<T> {
    type Value = T;
    fn get(&self) -> T {
        ValidatedObservable::get(self)
    }
    fn observe(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        ValidatedObservable::observe(self, observer)
    }
}

impl<T: Clone + PartialEq + 'static> ObservableValue for Derived<T> {
    type Value = T;
    fn get(&self) -> T {
        Derived::get(self)
    }
    fn observe(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        Derived::observe(self, observer)
    }
}

/// One chained observer: shared by its observer of the parent and its observer of the current
/// child (each holds it strongly), and reached weakly by the guard handed to the user.
struct Chain<H: Holder, O, A, C, V> {
    parent: Weak<ValueCell<H>>,
    field: A,
    callback: C,
    /// The object whose field is observed now, for identity only (never dereferenced); null
    /// when none is held.
    child: Cell<*const H::Child>,
    child_guard: RefCell<Option<ObserverGuard>>,
    parent_guard: RefCell<Option<ObserverGuard>>,
    /// The last resolved value the callback was told about (or the first one read).
    last: RefCell<H::Resolved<V>>,
    closed: Cell<bool>,
    _field: PhantomData<fn() -> O>,
}

impl<H, O, A, C> Chain<H, O, A, C, O::Value>
where
    H: Holder + Clone + PartialEq,
    O: ObservableValue + 'static,
    A: Fn(&H::Child) -> &O + 'static,
    C: Fn(&H::Resolved<O::Value>, &H::Resolved<O::Value>) + 'static,
    H::Resolved<O::Value>: Clone + PartialEq + 'static,
{
    /// Observes the field of the object `holder` holds, if any, in place of the current child.
    fn subscribe(self: &Rc<Self>, holder: &H) {
        let child = holder.held();
        let identity = child.map_or(ptr::null(), |child| child as *const H::Child);
        self.child.set(identity);
        let guard = child.map(|child| {
            let chain = Rc::clone(self);
            (self.field)(child).observe(move |old, new| chain.child_changed(identity, old, new))
        });
        let previous = self.child_guard.replace(guard);
        // Dropped outside the borrow: unregistering drops a closure that holds this chain.
        drop(previous);
    }

    /// The parent now holds `holder`: follow its object, and tell the callback if the
    /// resolved value changed.
    fn switch(self: &Rc<Self>, holder: &H) {
        if self.closed.get() {
            return;
        }
        let identity = holder
            .held()
            .map_or(ptr::null(), |child| child as *const H::Child);
        if identity != self.child.get() {
            // The old object is no longer heard from this point on.
            let previous = self.child_guard.take();
            drop(previous);
            self.subscribe(holder);
        }
        let resolved = holder.resolve(|child| (self.field)(child).get());
        let old = self.last.replace(resolved.clone());
        if old != resolved {
            (self.callback)(&old, &resolved);
        }
    }

    /// The field of `identity` changed from `old` to `new`.
    fn child_changed(&self, identity: *const H::Child, old: &O::Value, new: &O::Value) {
        if self.closed.get() || self.child.get() != identity || !self.parent_holds(identity) {
            // A stale object: the parent moved on and its notification is still queued.
            return;
        }
        let (old, new) = (H::present(old.clone()), H::present(new.clone()));
        *self.last.borrow_mut() = new.clone();
        (self.callback)(&old, &new);
    }

    /// Whether the parent holds the object `identity` now.
    fn parent_holds(&self, identity: *const H::Child) -> bool {
        self.parent.upgrade().is_some_and(|parent| {
            parent.with(|holder| holder.held().is_some_and(|child| ptr::eq(child, identity)))
        })
    }
}

impl<H: Holder, O, A, C, V> Unobserve for Chain<H, O, A, C, V> {
    fn unobserve(&self, _key: ObserverKey) {
        self.closed.set(true);
        let parent = self.parent_guard.take();
        let child = self.child_guard.take();
        // Dropped outside the borrows: each drops a closure that holds this chain.
        drop(parent);
        drop(child);
    }
}

/// Observes `field` of the object `parent` holds: see
/// [`Observable::observe_chain`](crate::Observable::observe_chain).
pub(crate) fn observe<H, O, A, C>(parent: &Rc<ValueCell<H>>, field: A, callback: C) -> ObserverGuard
where
    H: Holder + Clone + PartialEq,
    O: ObservableValue + 'static,
    A: Fn(&H::Child) -> &O + 'static,
    C: Fn(&H::Resolved<O::Value>, &H::Resolved<O::Value>) + 'static,
    H::Resolved<O::Value>: Clone + PartialEq + 'static,
{
    let holder = parent.get();
    let first = holder.resolve(|child| field(child).get());
    let chain = Rc::new(Chain {
        parent: Rc::downgrade(parent),
        field,
        callback,
        child: Cell::new(ptr::null()),
        child_guard: RefCell::new(None),
        parent_guard: RefCell::new(None),
        last: RefCell::new(first),
        closed: Cell::new(false),
        _field: PhantomData,
    });
    chain.subscribe(&holder);
    let follower = Rc::clone(&chain);
    let parent_guard = parent.observe(
        move |_, new: &H| follower.switch(new),
        Rc::downgrade(parent) as Weak<dyn Unobserve>,
    );
    *chain.parent_guard.borrow_mut() = Some(parent_guard);
    let owner: Weak<Chain<H, O, A, C, O::Value>> = Rc::downgrade(&chain);
    ObserverGuard::new(owner as Weak<dyn Unobserve>, ObserverKey::new(0, 0))
}
