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
//!   during a notification is not called again, not even for the rest of the current one (one
//!   that removes itself is dropped when its call returns);
//! * a panicking callback does not stop the others: every callback still runs for every queued
//!   payload, and the first panic is resumed on the emitting thread once the queue is empty.
//!
//! The list is embedded in its owner (no allocation of its own until a second registration);
//! each callback is one closure (in place when its captures fit in a pointer, boxed otherwise),
//! moved out of the table while it runs; guards reach the list through a `Weak<dyn Unobserve>`
//! to the owner.
//!
//! [`ObserverList`] is public so that other crates can build observable types of their own with
//! the same rules (traits-futures keeps a future's state and its `cancellable` and `done`
//! projections in one list, inside the future's own allocation). User observers may be given a
//! *rank*: a notification runs rank 0, then rank 1, and so on, and dependents last.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Weak;

use crate::callback::Callback;
use crate::derived::DependentHandle;
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observer_table::{KeyWord, Table, DIRTY, NOTIFYING};

/// Which tier a callback belongs to. Dependents always run after every user observer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Observers registered by user code.
    Observer,
    /// Derived properties, streams and signal taps, which must see user observers' effects first.
    Dependent,
}

/// The rank of dependents: after every observer rank.
const DEPENDENT_RANK: u8 = u8::MAX;

impl Tier {
    fn rank(self) -> u8 {
        match self {
            Tier::Observer => 0,
            Tier::Dependent => DEPENDENT_RANK,
        }
    }
}

/// The callbacks of one observable thing, with the rules every observable of this crate
/// follows: a building block for observable types of your own.
///
/// * [`emit`](Self::emit) calls every callback synchronously: by rank (0 first), then in
///   registration order; dependents ([`add_dependent`](Self::add_dependent)) after every rank.
/// * A payload emitted while a notification of the same list is running is queued and
///   delivered after it, so every callback sees the payloads in emission order.
/// * A callback added during a notification first hears the next payload; one removed during a
///   notification is not called again, not even for the rest of the current one.
/// * A panicking callback does not stop the others; the first panic is resumed on the emitting
///   thread once every queued payload has been delivered.
///
/// Embed the list in your type and implement [`Unobserve`] for it, so that the
/// [`ObserverGuard`]s it hands out can unregister through a `Weak` to your type:
///
/// ```
/// use std::{cell::{Cell, RefCell}, rc::{Rc, Weak}};
/// use traits_core::{ObserverGuard, ObserverKey, ObserverList, Unobserve};
///
/// /// A counter whose observers hear every increment, and whose "milestone" observers (rank 1)
/// /// hear only every tenth, after the others.
/// struct Counter { value: Cell<u32>, observers: ObserverList<u32> }
///
/// impl Unobserve for Counter {
///     fn unobserve(&self, key: ObserverKey) { self.observers.remove(key) }
/// }
///
/// impl Counter {
///     fn observe(self: &Rc<Self>, f: impl Fn(&u32) + 'static) -> ObserverGuard {
///         self.observers.observe(0, f, Rc::downgrade(self) as Weak<dyn Unobserve>)
///     }
///     fn observe_milestones(self: &Rc<Self>, f: impl Fn(&u32) + 'static) -> ObserverGuard {
///         let filtered = move |n: &u32| if n % 10 == 0 { f(n) };
///         self.observers.observe(1, filtered, Rc::downgrade(self) as Weak<dyn Unobserve>)
///     }
///     fn increment(&self) {
///         self.value.set(self.value.get() + 1);
///         self.observers.emit(self.value.get());
///     }
/// }
///
/// let counter = Rc::new(Counter { value: Cell::new(0), observers: ObserverList::new() });
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _m = counter.observe_milestones({ let log = log.clone(); move |n| log.borrow_mut().push(format!("milestone {n}")) });
/// let _o = counter.observe({ let log = log.clone(); move |n| log.borrow_mut().push(n.to_string()) });
/// for _ in 0..10 { counter.increment(); }
/// assert_eq!(log.borrow()[9..], ["10", "milestone 10"]);
/// ```
pub struct ObserverList<A> {
    table: Table<A>,
}

type PanicPayload = Box<dyn Any + Send>;

impl<A: 'static> Default for ObserverList<A> {
    fn default() -> Self {
        ObserverList::new()
    }
}

impl<A: 'static> ObserverList<A> {
    /// An empty list; it allocates nothing until a second callback is registered.
    ///
    /// ```
    /// let list = traits_core::ObserverList::<()>::new();
    /// assert!(list.is_empty());
    /// ```
    pub fn new() -> Self {
        ObserverList {
            table: Table::new(),
        }
    }

    /// Registers a closure in `tier`; `owner` is what the guard unregisters from.
    pub(crate) fn add(
        &self,
        tier: Tier,
        callback: Callback<A>,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        self.insert(tier.rank(), callback, owner)
    }

    /// Registers `callback`, called with every payload emitted from now on, after the callbacks
    /// of lower ranks and those of its rank registered earlier (ranks above 254 count as 254).
    /// The returned guard unregisters it through `owner`, the value this list is embedded in
    /// (see the [type's example](ObserverList)).
    ///
    /// ```
    /// use std::{cell::RefCell, rc::{Rc, Weak}};
    /// use traits_core::{ObserverKey, ObserverList, Unobserve};
    /// struct Nobody;
    /// impl Unobserve for Nobody { fn unobserve(&self, _: ObserverKey) {} }
    ///
    /// let list = ObserverList::new();
    /// let order = Rc::new(RefCell::new(Vec::new()));
    /// let o = order.clone();
    /// list.observe(1, move |n: &u8| o.borrow_mut().push(("late", *n)), Weak::<Nobody>::new()).detach();
    /// let o = order.clone();
    /// list.observe(0, move |n: &u8| o.borrow_mut().push(("early", *n)), Weak::<Nobody>::new()).detach();
    /// list.emit(7);
    /// assert_eq!(*order.borrow(), [("early", 7), ("late", 7)]);
    /// ```
    pub fn observe(
        &self,
        rank: u8,
        callback: impl Fn(&A) + 'static,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        let callback = Callback::new(move |payload: &A| {
            callback(payload);
            true
        });
        self.insert(rank.min(DEPENDENT_RANK - 1), callback, owner)
    }

    /// Registers a dependent (a [`Derived`](crate::Derived) property, or your own
    /// [`Recompute`](crate::Recompute)), called once per payload after every ranked callback.
    ///
    /// ```
    /// use std::{cell::Cell, rc::{Rc, Weak}};
    /// use traits_core::{DependentHandle, ObserverKey, ObserverList, Recompute, Unobserve};
    /// struct Nobody;
    /// impl Unobserve for Nobody { fn unobserve(&self, _: ObserverKey) {} }
    /// struct Count(Cell<u32>);
    /// impl Recompute for Count { fn source_changed(&self) { self.0.set(self.0.get() + 1) } }
    ///
    /// let list = ObserverList::new();
    /// let count = Rc::new(Count(Cell::new(0)));
    /// let _guard = list.add_dependent(DependentHandle::new(&count), Weak::<Nobody>::new());
    /// list.emit(());
    /// assert_eq!(count.0.get(), 1);
    /// ```
    pub fn add_dependent(
        &self,
        dependent: DependentHandle,
        owner: Weak<dyn Unobserve>,
    ) -> ObserverGuard {
        let dependent = dependent.0;
        let callback = Callback::new(move |_: &A| match dependent.upgrade() {
            Some(dependent) => {
                dependent.source_changed();
                true
            }
            // Dropped: unregister.
            None => false,
        });
        self.insert(DEPENDENT_RANK, callback, owner)
    }

    fn insert(&self, rank: u8, callback: Callback<A>, owner: Weak<dyn Unobserve>) -> ObserverGuard {
        let key = ObserverKey::new(self.table.take_serial(), rank);
        self.table.push(KeyWord::new(key), callback);
        ObserverGuard::new(owner, key)
    }

    /// True when a callback of a rank for which `wanted` holds is registered; dependents count
    /// as rank 255. An observable whose ranks stand for different views of one value uses it to
    /// skip a notification that only ranks whose view did not change would hear.
    ///
    /// ```
    /// use std::rc::Weak;
    /// use traits_core::{ObserverKey, ObserverList, Unobserve};
    /// struct Nobody;
    /// impl Unobserve for Nobody { fn unobserve(&self, _: ObserverKey) {} }
    /// let list = ObserverList::<u8>::new();
    /// let _guard = list.observe(2, |_| {}, Weak::<Nobody>::new());
    /// assert!(list.any_rank(|rank| rank == 2));
    /// assert!(!list.any_rank(|rank| rank < 2));
    /// ```
    pub fn any_rank(&self, wanted: impl Fn(u8) -> bool) -> bool {
        // `wanted` runs while the list is being read: a predicate on a rank, it has no business
        // with the list itself.
        self.table.any_live(|key| wanted(key.rank()))
    }

    /// True when no callback or dependent is registered: emitting would do nothing.
    ///
    /// ```
    /// assert!(traits_core::ObserverList::<u8>::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Number of registered callbacks and dependents.
    ///
    /// ```
    /// assert_eq!(traits_core::ObserverList::<u8>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.table.live()
    }

    /// Delivers `payload` to every callback, or queues it if a notification of this list is
    /// already running (see the [type's rules](ObserverList)).
    ///
    /// ```
    /// traits_core::ObserverList::new().emit("nobody listens");
    /// ```
    #[inline]
    pub fn emit(&self, payload: A) {
        let table = &self.table;
        let counter = table.counter();
        // The common case: one live registration, no overflow, no notification running. Its
        // callback is taken and called; if the table is exactly as it was afterwards (the
        // callback registered, removed and emitted nothing, and asked to stay), it goes back
        // and the notification is over, with no further bookkeeping.
        let Some(callback) = table.take_lone(counter) else {
            return self.emit_to_many(payload);
        };
        table.restore_counter(counter | NOTIFYING);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| callback.call(&payload)));
        if matches!(outcome, Ok(true)) && table.counter() == counter | NOTIFYING {
            table.put_callback(0, callback);
            table.restore_counter(counter);
            return;
        }
        self.finish_lone(callback, outcome, payload);
    }

    /// [`emit`](Self::emit) after the lone callback's call changed something (or panicked):
    /// the general bookkeeping. Out of line, so that the common case stays small.
    #[cold]
    #[inline(never)]
    fn finish_lone(&self, callback: Callback<A>, outcome: Result<bool, PanicPayload>, payload: A) {
        let mut first_panic = None;
        self.restore(0, callback, outcome, &mut first_panic);
        drop(payload);
        self.finish(first_panic);
    }

    /// [`emit`](Self::emit) when the lone-callback case does not apply: none, several, or a
    /// notification already running (then `payload` is queued).
    #[inline(never)]
    fn emit_to_many(&self, payload: A) {
        let table = &self.table;
        if self.is_empty() {
            return;
        }
        if table.flag(NOTIFYING) {
            // The running notification delivers it, in order.
            table.queue(payload);
            return;
        }
        table.set_flag(NOTIFYING, true);
        let mut first_panic: Option<PanicPayload> = None;
        self.deliver(&payload, &mut first_panic);
        drop(payload);
        self.finish(first_panic);
    }

    /// Ends a notification: delivers every payload queued meanwhile, clears the flag, compacts
    /// the table if tombstones were left, and resumes the first panic, if any.
    fn finish(&self, mut first_panic: Option<PanicPayload>) {
        let table = &self.table;
        loop {
            let next = table.dequeue();
            if next.is_none() {
                // Done (no user code runs between the last look at the queue and this).
                table.set_flag(NOTIFYING, false);
                if table.flag(DIRTY) {
                    table.set_flag(DIRTY, false);
                    table.compact();
                }
            }
            let Some(payload) = next else { break };
            self.deliver(&payload, &mut first_panic);
        }
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    fn deliver(&self, payload: &A, first_panic: &mut Option<PanicPayload>) {
        // Only callbacks registered before this payload's delivery started are called; indices
        // stay valid because removal during a notification only leaves a tombstone.
        let count = self.table.slot_count();
        if count == 1 {
            // The common case, one registration: no order to work out.
            self.call(0, None, payload, first_panic);
            return;
        }
        let mut rank = self.table.next_rank(count, None);
        while let Some(current) = rank {
            for index in 0..count {
                self.call(index, Some(current), payload, first_panic);
            }
            rank = self.table.next_rank(count, Some(current));
        }
    }

    /// Calls the registration at `index` (if it is still there, and of `rank` if given) with
    /// `payload`, with no part of the table out of place; a panic is kept in `first_panic`.
    ///
    /// The callback is moved out of its slot for the call (leaving `None`) and put back
    /// afterwards: the table may change meanwhile, but only by appending slots or turning
    /// slots into tombstones (a notification is running), so `index` still finds this slot; if
    /// the callback removed itself, or was removed, the slot is a tombstone and the callback
    /// is dropped here instead. A list emits one payload at a time, so a callback is never
    /// called again while it is out.
    fn call(
        &self,
        index: usize,
        rank: Option<u8>,
        payload: &A,
        first_panic: &mut Option<PanicPayload>,
    ) {
        let Some(key) = self.table.key_at(index) else {
            return;
        };
        if !key.is_live() || rank.is_some_and(|rank| key.rank() != rank) {
            return;
        }
        if let Some(callback) = self.table.take_callback(index) {
            self.run_and_restore(index, callback, payload, first_panic);
        }
    }

    /// Calls `callback`, taken from the slot at `index`, with `payload`, then puts it back
    /// (or drops it, if it unregistered itself or was removed meanwhile); a panic is kept in
    /// `first_panic`.
    fn run_and_restore(
        &self,
        index: usize,
        callback: Callback<A>,
        payload: &A,
        first_panic: &mut Option<PanicPayload>,
    ) {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| callback.call(payload)));
        self.restore(index, callback, outcome, first_panic);
    }

    /// After `callback`, taken from the slot at `index`, was called: puts it back (or drops it,
    /// if it asked to be unregistered, or was removed meanwhile); a panic is kept in
    /// `first_panic`.
    fn restore(
        &self,
        index: usize,
        callback: Callback<A>,
        outcome: Result<bool, PanicPayload>,
        first_panic: &mut Option<PanicPayload>,
    ) {
        let keep = match outcome {
            Ok(keep) => keep,
            Err(panic) => {
                first_panic.get_or_insert(panic);
                true
            }
        };
        let table = &self.table;
        let unused = match table.key_at(index).filter(|key| key.is_live()) {
            Some(_) if keep => {
                table.put_callback(index, callback);
                None
            }
            Some(_) => {
                // Its callback is out (here), so the tombstone hands nothing back.
                table.tombstone(index);
                table.set_flag(DIRTY, true);
                Some(callback)
            }
            // Removed during its own call: a tombstone now.
            None => Some(callback),
        };
        // Dropped last: its captures' `Drop` may touch this list again.
        drop(unused);
    }

    /// Unregisters the callback or dependent with `key` (call it from your
    /// [`Unobserve::unobserve`]); unknown keys are ignored.
    ///
    /// ```
    /// use std::rc::Weak;
    /// use traits_core::{ObserverKey, ObserverList, Unobserve};
    /// struct Nobody;
    /// impl Unobserve for Nobody { fn unobserve(&self, _: ObserverKey) {} }
    /// let list = ObserverList::<u8>::new();
    /// let guard = list.observe(0, |_| {}, Weak::<Nobody>::new());
    /// list.remove(guard.key());
    /// assert!(list.is_empty());
    /// ```
    pub fn remove(&self, key: ObserverKey) {
        let table = &self.table;
        let Some(index) = table.position(key) else {
            return;
        };
        let removed = if table.flag(NOTIFYING) {
            if !table.key_at(index).is_some_and(KeyWord::is_live) {
                return;
            }
            table.set_flag(DIRTY, true);
            table.tombstone(index)
        } else {
            table.remove(index)
        };
        // The callback (and whatever it captured) is dropped last: its `Drop` may touch this
        // list again.
        drop(removed);
    }
}
