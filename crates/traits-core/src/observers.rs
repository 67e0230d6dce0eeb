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
//! The list is embedded in its owner (one allocation per observable, plus one vector once
//! somebody observes it); guards reach it through a `Weak<dyn Unobserve>` to the owner.

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::rc::{Rc, Weak};

/// Identifies one registered callback inside an [`ObserverList`]: ids increase with
/// registration, so the table, kept in registration order, is sorted by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ObserverKey(u64);

/// A registered closure. Returning `false` unregisters it (used by streams whose receiver is gone).
pub(crate) type Callback<A> = Rc<dyn Fn(&A) -> bool>;

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

/// One registration. `entry` is `None` once removed during a notification (a tombstone, so
/// that the running notification's indices stay valid), until the table is compacted.
struct Slot<A> {
    key: ObserverKey,
    tier: Tier,
    entry: Option<Entry<A>>,
}

/// What most observables never need, allocated on first need: room for a second registration,
/// and the queue of payloads emitted during a notification.
struct Overflow<A> {
    rest: Vec<Slot<A>>,
    pending: VecDeque<A>,
}

/// Registrations in registration order (hence sorted by key): the first inline, the rest in the
/// overflow. Most observables have at most one observer or dependent, and never emit during
/// their own notification: they cost this struct and no allocation.
struct Table<A> {
    first: Option<Slot<A>>,
    overflow: Option<Box<Overflow<A>>>,
    /// The key of the next registration.
    next_key: u64,
    /// A notification is running: emissions are queued, removals leave tombstones.
    notifying: bool,
    /// Tombstones were left while notifying; compact when the notification ends.
    dirty: bool,
}

impl<A> Table<A> {
    fn rest(&self) -> &[Slot<A>] {
        self.overflow.as_ref().map_or(&[], |o| &o.rest)
    }

    fn overflow(&mut self) -> &mut Overflow<A> {
        self.overflow.get_or_insert_with(|| {
            Box::new(Overflow {
                rest: Vec::new(),
                pending: VecDeque::new(),
            })
        })
    }

    /// Number of slots, tombstones included.
    fn slot_count(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest().len()
    }

    fn live(&self) -> usize {
        self.first
            .iter()
            .chain(self.rest())
            .filter(|slot| slot.entry.is_some())
            .count()
    }

    fn get(&self, index: usize) -> Option<&Slot<A>> {
        match index {
            0 => self.first.as_ref(),
            _ => self.rest().get(index - 1),
        }
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Slot<A>> {
        match index {
            0 => self.first.as_mut(),
            _ => self
                .overflow
                .as_mut()
                .and_then(|o| o.rest.get_mut(index - 1)),
        }
    }

    fn push(&mut self, slot: Slot<A>) {
        if self.first.is_none() {
            self.first = Some(slot);
            return;
        }
        let rest = &mut self.overflow().rest;
        if rest.len() == rest.capacity() {
            // Grow 1, 2, 4, … rather than from 4: short lists are the common case.
            let more = rest.len().max(1);
            rest.reserve_exact(more);
        }
        rest.push(slot);
    }

    fn position(&self, key: ObserverKey) -> Option<usize> {
        match &self.first {
            Some(first) if first.key == key => Some(0),
            Some(_) => self
                .rest()
                .binary_search_by_key(&key, |slot| slot.key)
                .ok()
                .map(|i| i + 1),
            None => None,
        }
    }

    /// Removes the slot at `index`, keeping the order of the others.
    fn remove(&mut self, index: usize) -> Option<Slot<A>> {
        if index > 0 {
            let rest = &mut self.overflow.as_mut()?.rest;
            return (index - 1 < rest.len()).then(|| rest.remove(index - 1));
        }
        let next = match &mut self.overflow {
            Some(overflow) if !overflow.rest.is_empty() => Some(overflow.rest.remove(0)),
            _ => None,
        };
        std::mem::replace(&mut self.first, next)
    }

    /// Drops the tombstones, keeping the order of the others.
    fn compact(&mut self) {
        if let Some(overflow) = &mut self.overflow {
            overflow.rest.retain(|slot| slot.entry.is_some());
        }
        if self.first.as_ref().is_some_and(|slot| slot.entry.is_none()) {
            self.remove(0);
        }
    }
}

/// Callbacks of one observable thing, with the payload queue that makes re-entrant emission ordered.
pub(crate) struct ObserverList<A> {
    table: RefCell<Table<A>>,
}

type PanicPayload = Box<dyn Any + Send>;

impl<A: 'static> ObserverList<A> {
    pub(crate) fn new() -> Self {
        ObserverList {
            table: RefCell::new(Table {
                first: None,
                overflow: None,
                next_key: 0,
                notifying: false,
                dirty: false,
            }),
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
        let key = ObserverKey(table.next_key);
        table.next_key += 1;
        table.push(Slot {
            key,
            tier,
            entry: Some(entry),
        });
        ObserverGuard {
            list: Some(owner),
            key,
        }
    }

    /// True when no callback of either tier is registered: emitting would do nothing.
    pub(crate) fn is_empty(&self) -> bool {
        let table = self.table.borrow();
        table.first.is_none() || table.live() == 0
    }

    /// Number of registered callbacks in both tiers.
    pub(crate) fn len(&self) -> usize {
        self.table.borrow().live()
    }

    /// Delivers `payload` to every callback, or queues it if a notification is already running.
    pub(crate) fn emit(&self, payload: A) {
        {
            let mut table = self.table.borrow_mut();
            if table.notifying {
                // The running notification delivers it, in order.
                table.overflow().pending.push_back(payload);
                return;
            }
            table.notifying = true;
        }
        let mut first_panic: Option<PanicPayload> = None;
        self.deliver(&payload, &mut first_panic);
        drop(payload);
        loop {
            let next = {
                let mut table = self.table.borrow_mut();
                table.overflow.as_mut().and_then(|o| o.pending.pop_front())
            };
            let Some(payload) = next else { break };
            self.deliver(&payload, &mut first_panic);
        }
        {
            let mut table = self.table.borrow_mut();
            table.notifying = false;
            if std::mem::take(&mut table.dirty) {
                table.compact();
            }
        }
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    fn deliver(&self, payload: &A, first_panic: &mut Option<PanicPayload>) {
        // Only callbacks registered before this payload's delivery started are called; indices
        // stay valid because removal during a notification only leaves a tombstone.
        let count = self.table.borrow().slot_count();
        for tier in [Tier::Observer, Tier::Dependent] {
            for index in 0..count {
                let entry = {
                    let table = self.table.borrow();
                    let Some(slot) = table.get(index) else {
                        continue;
                    };
                    if slot.tier != tier {
                        continue;
                    }
                    slot.entry.clone().map(|entry| (slot.key, entry))
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
        let removed = {
            let mut table = self.table.borrow_mut();
            let Some(index) = table.position(key) else {
                return;
            };
            if table.notifying {
                let entry = table.get_mut(index).and_then(|slot| slot.entry.take());
                if entry.is_some() {
                    table.dirty = true;
                }
                entry
            } else {
                table.remove(index).and_then(|slot| slot.entry)
            }
        };
        // The callback (and whatever it captured) is dropped outside the borrow: its `Drop`
        // may touch this list again.
        drop(removed);
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
