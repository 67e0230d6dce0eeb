//! "Any field of this object changed" (Traits' `observe("*")`): the `observe_any` method that
//! [`has_traits!`](crate::has_traits) generates, and what it reports.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::derived::Derived;
use crate::event::Event;
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observable::Observable;
use crate::validated::ValidatedObservable;

/// What kind of field a [`FieldChange`] is about.
///
/// ```
/// use traits_core::FieldKind;
/// // An autosave cares about stored state only.
/// let worth_saving = |kind: FieldKind| kind == FieldKind::Value;
/// assert!(!worth_saving(FieldKind::Event));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldKind {
    /// A stored field (`name: T = default`, or validated): its value changed.
    Value,
    /// A derived field (`name: T = derive(..) => ..`): its computed value changed, after a
    /// change of one of its sources (which is reported too).
    Derived,
    /// An event field (`name: event T`) was fired.
    Event,
}

/// One change reported to an `observe_any` observer of a [`has_traits!`](crate::has_traits)
/// struct: which field, and what kind of field it is. Read the new value from the field itself.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{has_traits, FieldChange, FieldKind};
///
/// has_traits! {
///     pub struct Note { pub text: String = String::new(), pub saved: event () }
/// }
/// let note = Note::new();
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let _guard = note.observe_any({ let seen = seen.clone(); move |change| seen.borrow_mut().push(*change) });
/// note.text.set("hi".into());
/// note.saved.fire(());
/// assert_eq!(*seen.borrow(), [
///     FieldChange { field: "text", kind: FieldKind::Value },
///     FieldChange { field: "saved", kind: FieldKind::Event },
/// ]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldChange {
    /// The field's name, as declared.
    pub field: &'static str,
    /// The field's kind.
    pub kind: FieldKind,
}

/// The observers one `observe_any` call registered (one per field), under the single guard it
/// returns. Each of them holds it strongly; the guard reaches it weakly, and dropping the guard
/// unregisters them all.
#[doc(hidden)]
pub struct AnyObserver {
    observer: Box<dyn Fn(&FieldChange)>,
    guards: RefCell<Vec<ObserverGuard>>,
    closed: Cell<bool>,
}

impl AnyObserver {
    /// A group that calls `observer` for every change its fields report.
    pub fn new(observer: impl Fn(&FieldChange) + 'static) -> Rc<Self> {
        Rc::new(AnyObserver {
            observer: Box::new(observer),
            guards: RefCell::new(Vec::new()),
            closed: Cell::new(false),
        })
    }

    fn notify(&self, change: FieldChange) {
        if !self.closed.get() {
            (self.observer)(&change);
        }
    }

    /// Registers the group with `field`, named `name`.
    pub fn watch(self: &Rc<Self>, field: &dyn ObserveField, name: &'static str) {
        let guard = field.observe_field(Rc::clone(self), name);
        self.guards.borrow_mut().push(guard);
    }

    /// The one guard of the group.
    pub fn guard(self: &Rc<Self>) -> ObserverGuard {
        let owner: Weak<AnyObserver> = Rc::downgrade(self);
        ObserverGuard::new(owner as Weak<dyn Unobserve>, ObserverKey::new(0, 0))
    }
}

impl Unobserve for AnyObserver {
    fn unobserve(&self, _key: ObserverKey) {
        self.closed.set(true);
        let guards = self.guards.take();
        // Dropped outside the borrow: each drops an observer that holds this group.
        drop(guards);
    }
}

/// A field type `observe_any` can watch, and the kind it reports.
#[doc(hidden)]
pub trait ObserveField {
    /// Registers an observer that reports every change of this field to `any`.
    fn observe_field(&self, any: Rc<AnyObserver>, name: &'static str) -> ObserverGuard;
}

fn change(name: &'static str, kind: FieldKind) -> FieldChange {
    FieldChange { field: name, kind }
}

impl<T: Clone + PartialEq + 'static> ObserveField for Observable<T> {
    fn observe_field(&self, any: Rc<AnyObserver>, name: &'static str) -> ObserverGuard {
        self.observe(move |_, _| any.notify(change(name, FieldKind::Value)))
    }
}

impl<T: Clone + PartialEq + 'static> ObserveField for ValidatedObservable<T> {
    fn observe_field(&self, any: Rc<AnyObserver>, name: &'static str) -> ObserverGuard {
        self.observe(move |_, _| any.notify(change(name, FieldKind::Value)))
    }
}

impl<T: Clone + PartialEq + 'static> ObserveField for Derived<T> {
    fn observe_field(&self, any: Rc<AnyObserver>, name: &'static str) -> ObserverGuard {
        self.observe(move |_, _| any.notify(change(name, FieldKind::Derived)))
    }
}

impl<T: 'static> ObserveField for Event<T> {
    fn observe_field(&self, any: Rc<AnyObserver>, name: &'static str) -> ObserverGuard {
        self.observe(move |_| any.notify(change(name, FieldKind::Event)))
    }
}
