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
//!
//! The list is embedded in its owner (one allocation per observable); guards reach it through a
//! `Weak<dyn Unobserve>` to the owner.

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

/// A registered closure. Returning `false` unregisters it (used by streams whose receiver is gone).
pub(crate) type Callback<A> = Rc<dyn Fn(&A) -> bool>;

/// A derived property to recompute when a source changes. Held weakly: a derived property that
/// nobody holds any more simply stops being recomputed.
pub(crate) trait Recompute {
    fn source_changed(&self);
}

/// What one registration calls.
enum Entry<A> {
    Callback(Callback<A>),
    Dependent(Weak<dyn Recompute>),
}

impl<A> Clone for Entry<A> {
    fn clone(&self) -> Self {
        match self {
            Entry::Callback(cb) => Entry::Callback(Rc::clone(cb)),
            Entry::Dependent(weak) => Entry::Dependent(Weak::clone(weak)),
        }
    }
}

/// Which tier a callback belongs to. Dependents always run after every user observer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Observers registered by user code.
    Observer,
    /// Derived properties, streams and signal taps, which must see user observers' effects first.
    Dependent,
}

struct Table<A> {
    slots: SlotMap<ObserverKey, Entry<A>>,
    /// Registration order, with each key's tier.
    order: Vec<(Tier, ObserverKey)>,
    /// Keys were removed while notifying; compact `order` when the notification ends.
    dirty: bool,
}

/// Callbacks of one observable thing, with the payload queue that makes re-entrant emission ordered.
pub(crate) struct ObserverList<A> {
    table: RefCell<Table<A>>,
    pending: RefCell<VecDeque<A>>,
    notifying: Cell<bool>,
}

type PanicPayload = Box<dyn Any + Send>;

impl<A: 'static> ObserverList<A> {
    pub(crate) fn new() -> Self {
        ObserverList {
            table: RefCell::new(Table {
                slots: SlotMap::with_key(),
                order: Vec::new(),
                dirty: false,
            }),
            pending: RefCell::new(VecDeque::new()),
            notifying: Cell::new(false),
        }
    }

    /// Registers a closure in `tier`; `owner` is what the guard unregisters from.
    pub(crate) fn add(
        &self,
        tier: Tier,
        callback: Callback<A>,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        self.insert(tier, Entry::Callback(callback), owner)
    }

    /// Registers a derived property as a dependent.
    pub(crate) fn add_dependent(
        &self,
        dependent: Weak<dyn Recompute>,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        self.insert(Tier::Dependent, Entry::Dependent(dependent), owner)
    }

    fn insert(&self, tier: Tier, entry: Entry<A>, owner: Weak<dyn Unobserve>) -> ObserverGuard {
        let mut table = self.table.borrow_mut();
        let key = table.slots.insert(entry);
        table.order.push((tier, key));
        ObserverGuard {
            list: Some(owner),
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
        if self.notifying.replace(true) {
            // The running notification delivers it, in order.
            self.pending.borrow_mut().push_back(payload);
            return;
        }
        let mut first_panic: Option<PanicPayload> = None;
        self.deliver(&payload, &mut first_panic);
        drop(payload);
        loop {
            let next = self.pending.borrow_mut().pop_front();
            let Some(payload) = next else { break };
            self.deliver(&payload, &mut first_panic);
        }
        self.notifying.set(false);
        self.compact();
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    fn deliver(&self, payload: &A, first_panic: &mut Option<PanicPayload>) {
        // Only callbacks registered before this payload's delivery started are called; indices
        // stay valid because removal during a notification only marks the table dirty.
        let count = self.table.borrow().order.len();
        for tier in [Tier::Observer, Tier::Dependent] {
            for index in 0..count {
                let entry = {
                    let table = self.table.borrow();
                    let (entry_tier, key) = table.order[index];
                    if entry_tier != tier {
                        continue;
                    }
                    table.slots.get(key).map(|entry| (key, entry.clone()))
                };
                let Some((key, entry)) = entry else { continue };
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| match &entry {
                    Entry::Callback(callback) => callback(payload),
                    Entry::Dependent(weak) => match weak.upgrade() {
                        Some(dependent) => {
                            dependent.source_changed();
                            true
                        }
                        None => false,
                    },
                }));
                match outcome {
                    Ok(true) => {}
                    Ok(false) => self.remove(key),
                    Err(panic) => {
                        first_panic.get_or_insert(panic);
                    }
                }
            }
        }
    }

    pub(crate) fn remove(&self, key: ObserverKey) {
        let mut table = self.table.borrow_mut();
        if table.slots.remove(key).is_some() {
            if self.notifying.get() {
                table.dirty = true;
            } else {
                table.order.retain(|(_, k)| *k != key);
            }
        }
    }

    fn compact(&self) {
        let mut table = self.table.borrow_mut();
        if table.dirty {
            let Table {
                slots,
                order,
                dirty,
            } = &mut *table;
            order.retain(|(_, k)| slots.contains_key(*k));
            *dirty = false;
        }
    }
}

/// Type-erased removal, so that one guard type serves every observable. Implemented by the
/// owners of an [`ObserverList`].
pub(crate) trait Unobserve {
    fn unobserve(&self, key: ObserverKey);
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
        let attached = self
            .list
            .as_ref()
            .is_some_and(|weak| weak.strong_count() > 0);
        f.debug_struct("ObserverGuard")
            .field("attached", &attached)
            .finish()
    }
}
