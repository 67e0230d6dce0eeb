//! The notification engine shared by [`Observable`](crate::Observable),
//! [`Event`](crate::Event) and [`Derived`](crate::Derived).
//!
//! One [`ObserverList`] holds the callbacks of one observable thing, in two tiers: user observers
//! first, then *dependents* (derived properties, streams, signal taps). It defines, once, the
//! rules every observable follows:
//!
//! * callbacks run synchronously, in registration order (all user observers, then all dependents);
//! * a payload emitted while a notification of the same list is running is queued and delivered
//!   after the current one finishes, so every callback sees the payloads in emission order;
//! * a callback added during a notification first hears the next payload; a callback removed
//!   during a notification is not called again, not even for the rest of the current one;
//! * a panicking callback does not stop the others: every callback still runs for every queued
//!   payload, and the first panic is resumed on the emitting thread once the queue is empty.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use slotmap::SlotMap;

slotmap::new_key_type! {
    /// Identifies one registered callback inside an [`ObserverList`].
    pub(crate) struct ObserverKey;
}

/// A registered callback. Returning `false` unregisters it (used by streams whose receiver is gone).
pub(crate) type Callback<A> = Rc<dyn Fn(&A) -> bool>;

/// Which tier a callback belongs to. Dependents always run after every user observer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Observers registered by user code.
    Observer,
    /// Derived properties, streams and signal taps, which must see user observers' effects first.
    Dependent,
}

struct Table<A> {
    slots: SlotMap<ObserverKey, Callback<A>>,
    observers: Vec<ObserverKey>,
    dependents: Vec<ObserverKey>,
    /// Keys were removed while notifying; compact the order vectors when the notification ends.
    dirty: bool,
}

/// Callbacks of one observable thing, with the payload queue that makes re-entrant emission ordered.
pub(crate) struct ObserverList<A> {
    table: RefCell<Table<A>>,
    pending: RefCell<VecDeque<A>>,
    notifying: Cell<bool>,
}

impl<A: 'static> ObserverList<A> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(ObserverList {
            table: RefCell::new(Table {
                slots: SlotMap::with_key(),
                observers: Vec::new(),
                dependents: Vec::new(),
                dirty: false,
            }),
            pending: RefCell::new(VecDeque::new()),
            notifying: Cell::new(false),
        })
    }

    /// Registers `callback` in `tier` and returns the guard that unregisters it on drop.
    pub(crate) fn add(self: &Rc<Self>, tier: Tier, callback: Callback<A>) -> ObserverGuard {
        let mut table = self.table.borrow_mut();
        let key = table.slots.insert(callback);
        match tier {
            Tier::Observer => table.observers.push(key),
            Tier::Dependent => table.dependents.push(key),
        }
        let weak: Weak<dyn Unobserve> = Rc::downgrade(self) as Weak<dyn Unobserve>;
        ObserverGuard {
            list: Some(weak),
            key,
        }
    }

    /// True when no callback of either tier is registered: emitting would do nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.table.borrow().slots.is_empty()
    }

    /// Number of registered callbacks in both tiers.
    pub(crate) fn len(&self) -> usize {
        self.table.borrow().slots.len()
    }

    /// Delivers `payload` to every callback, or queues it if a notification is already running.
    pub(crate) fn emit(&self, payload: A) {
        self.pending.borrow_mut().push_back(payload);
        if self.notifying.replace(true) {
            return; // the running notification delivers it, in order
        }
        let mut first_panic: Option<Box<dyn Any + Send>> = None;
        loop {
            let next = self.pending.borrow_mut().pop_front();
            let Some(payload) = next else { break };
            self.deliver(&payload, Tier::Observer, &mut first_panic);
            self.deliver(&payload, Tier::Dependent, &mut first_panic);
        }
        self.notifying.set(false);
        self.compact();
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    fn deliver(&self, payload: &A, tier: Tier, first_panic: &mut Option<Box<dyn Any + Send>>) {
        // Only callbacks registered before this payload's delivery started are called; indices
        // stay valid because removal during a notification only marks the table dirty.
        let count = {
            let table = self.table.borrow();
            match tier {
                Tier::Observer => table.observers.len(),
                Tier::Dependent => table.dependents.len(),
            }
        };
        for index in 0..count {
            let entry = {
                let table = self.table.borrow();
                let key = match tier {
                    Tier::Observer => table.observers[index],
                    Tier::Dependent => table.dependents[index],
                };
                table.slots.get(key).map(|cb| (key, Rc::clone(cb)))
            };
            let Some((key, callback)) = entry else {
                continue;
            };
            match panic::catch_unwind(AssertUnwindSafe(|| callback(payload))) {
                Ok(true) => {}
                Ok(false) => self.remove(key),
                Err(panic) => {
                    first_panic.get_or_insert(panic);
                }
            }
        }
    }

    fn remove(&self, key: ObserverKey) {
        let mut table = self.table.borrow_mut();
        if table.slots.remove(key).is_some() {
            if self.notifying.get() {
                table.dirty = true;
            } else {
                table.observers.retain(|k| *k != key);
                table.dependents.retain(|k| *k != key);
            }
        }
    }

    fn compact(&self) {
        let mut table = self.table.borrow_mut();
        if table.dirty {
            let Table {
                slots,
                observers,
                dependents,
                dirty,
            } = &mut *table;
            observers.retain(|k| slots.contains_key(*k));
            dependents.retain(|k| slots.contains_key(*k));
            *dirty = false;
        }
    }
}

/// Type-erased removal, so that one guard type serves every observable.
trait Unobserve {
    fn unobserve(&self, key: ObserverKey);
}

impl<A: 'static> Unobserve for ObserverList<A> {
    fn unobserve(&self, key: ObserverKey) {
        self.remove(key);
    }
}

/// Keeps an observer registered; dropping it unregisters the observer.
///
/// Returned by every `observe` method of this crate. Keep the guard as long as the observer
/// should run (store it next to the widget it updates). Dropping it inside a notification stops
/// the observer at once: it is not called again, not even for the rest of that notification.
/// A guard may outlive the observable it came from; dropping it then does nothing.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use traits_core::Observable;
///
/// let count = Observable::new(0);
/// let seen = Rc::new(Cell::new(0));
/// let guard = count.observe({
///     let seen = seen.clone();
///     move |_old, _new| seen.set(seen.get() + 1)
/// });
/// count.set(1);
/// drop(guard);
/// count.set(2);
/// assert_eq!(seen.get(), 1);
/// ```
#[must_use = "dropping the guard unregisters the observer at once"]
pub struct ObserverGuard {
    list: Option<Weak<dyn Unobserve>>,
    key: ObserverKey,
}

impl ObserverGuard {
    /// Keeps the observer registered for as long as the observable lives, and consumes the guard.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_core::Observable;
    ///
    /// let value = Observable::new(0);
    /// let seen = Rc::new(Cell::new(0));
    /// let s = seen.clone();
    /// value.observe(move |_, new| s.set(*new)).detach();
    /// value.set(5);
    /// assert_eq!(seen.get(), 5);
    /// ```
    pub fn detach(mut self) {
        self.list = None;
    }
}

impl Drop for ObserverGuard {
    fn drop(&mut self) {
        if let Some(list) = self.list.take().and_then(|weak| weak.upgrade()) {
            list.unobserve(self.key);
        }
    }
}

impl std::fmt::Debug for ObserverGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObserverGuard")
            .field("attached", &self.list.is_some())
            .finish()
    }
}
