//! [`FutureProperty`]: a future's `state`, `cancellable` and `done`, as read-only observable
//! views of one [`Status`] that lives inside the future's own allocation.
//!
//! Why not three observables: `cancellable` and `done` are functions of `state`, and a02 wants
//! all three to agree whenever any observer runs, notified in the order state, cancellable,
//! done. One value with one observer list does that by construction: observers of `state` have
//! rank 0, of `cancellable` rank 1, of `done` rank 2, and a projection's observer is called only
//! when its projection changed. A future costs no allocation for any of them, nor for an observer
//! whose closure captures a single handle (it is kept in its slot in the list), which matters
//! when thousands of futures wait at once.

use std::fmt;
use std::rc::{Rc, Weak};

use futures_signals::signal::{Signal, SignalExt};
use traits_core::{
    Dependency, DependentHandle, Derived, ObserverGuard, ObserverKey, ObserverList, Unobserve,
};

use crate::future::state_signal::StateSignal;
use crate::state::FutureState;

/// A change of a future's state: old, then new.
pub(crate) type Change = (FutureState, FutureState);

/// The ranks of the observers of each property in the status's list: a02's order.
const STATE_RANK: u8 = 0;
const CANCELLABLE_RANK: u8 = 1;
const DONE_RANK: u8 = 2;

/// The observers of a future's public state: the body of every [`FutureProperty`]. The state
/// itself is the owner's ([`StatusOwner::state`]), derived from its state machine.
pub(crate) struct Status {
    /// Observers of each property by rank, and the taps of signals (`state_signal.rs`).
    observers: ObserverList<Change>,
}

impl Status {
    pub(crate) fn new() -> Self {
        Status {
            observers: ObserverList::new(),
        }
    }

    /// The owner's state went from `old` to `new` (already stored): if it changed, notifies
    /// every rank in order (signals' taps last).
    pub(crate) fn changed(&self, old: FutureState, new: FutureState) {
        if old == new {
            return;
        }
        // Observers of a projection that did not change would ignore the change: when only they
        // are registered (a `done` observer, while the task starts), skip the notification.
        let cancellable = old.is_cancellable() != new.is_cancellable();
        let done = old.is_done() != new.is_done();
        let heard = self.observers.any_rank(|rank| match rank {
            CANCELLABLE_RANK => cancellable,
            DONE_RANK => done,
            _ => true,
        });
        if heard {
            self.observers.emit((old, new));
        }
    }

    pub(crate) fn observers(&self) -> &ObserverList<Change> {
        &self.observers
    }

    pub(crate) fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

/// What owns a [`Status`]: the future's inner allocation, whatever its handler type.
pub(crate) trait StatusOwner: Unobserve {
    fn status(&self) -> &Status;
    /// The current public state.
    fn state(&self) -> FutureState;
}

/// Which property of the status a view shows.
#[derive(Clone, Copy)]
struct Facet<T> {
    /// Observers of earlier facets run first within one change.
    rank: u8,
    project: fn(FutureState) -> T,
}

/// A read-only, observable property of a future: its [`state`](crate::TaskFuture::state), or
/// whether it is [`cancellable`](crate::TaskFuture::cancellable) or
/// [`done`](crate::TaskFuture::done).
///
/// It has the surface of a [`traits_core`] observable without `set`: only the future changes
/// it, on the main thread, when its task's messages are dispatched or when it is cancelled.
/// Within one change, observers of `state` run first, then those of `cancellable`, then those
/// of `done`, and each sees all three already updated. Observers of `cancellable` and `done`
/// are called only when that property changed.
///
/// A `FutureProperty` is a cheap handle ([`Clone`]) that keeps its future alive.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_futures::{CallFuture, FutureState, TaskMessage};
///
/// let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _done = future.done().observe({
///     let log = log.clone();
///     move |_, done| log.borrow_mut().push(format!("done: {done}"))
/// });
/// let _state = future.state().observe({
///     let log = log.clone();
///     move |old, new| log.borrow_mut().push(format!("{old} -> {new}"))
/// });
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Returned(1))?;
/// assert_eq!(
///     *log.borrow(),
///     ["Waiting -> Executing", "Executing -> Completed", "done: true"]
/// );
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
pub struct FutureProperty<T> {
    owner: Rc<dyn StatusOwner>,
    facet: Facet<T>,
}

impl<T> Clone for FutureProperty<T> {
    fn clone(&self) -> Self {
        FutureProperty {
            owner: Rc::clone(&self.owner),
            facet: Facet {
                rank: self.facet.rank,
                project: self.facet.project,
            },
        }
    }
}

impl FutureProperty<FutureState> {
    pub(crate) fn state(owner: Rc<dyn StatusOwner>) -> Self {
        FutureProperty {
            owner,
            facet: Facet {
                rank: STATE_RANK,
                project: |state| state,
            },
        }
    }

    /// Registers `observer`, called with the old and the new state on every change, until the
    /// returned guard is dropped.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{CallFuture, FutureState};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let changes = Rc::new(RefCell::new(Vec::new()));
    /// let _guard = future.state().observe({
    ///     let changes = changes.clone();
    ///     move |old, new| changes.borrow_mut().push((*old, *new))
    /// });
    /// future.cancel();
    /// assert_eq!(*changes.borrow(), [(FutureState::Waiting, FutureState::Cancelling)]);
    /// ```
    pub fn observe(
        &self,
        observer: impl Fn(&FutureState, &FutureState) + 'static,
    ) -> ObserverGuard {
        // The list emits only real changes of state.
        self.register(move |(old, new): &Change| observer(old, new))
    }
}

impl FutureProperty<bool> {
    pub(crate) fn cancellable(owner: Rc<dyn StatusOwner>) -> Self {
        FutureProperty {
            owner,
            facet: Facet {
                rank: CANCELLABLE_RANK,
                project: FutureState::is_cancellable,
            },
        }
    }

    pub(crate) fn done(owner: Rc<dyn StatusOwner>) -> Self {
        FutureProperty {
            owner,
            facet: Facet {
                rank: DONE_RANK,
                project: FutureState::is_done,
            },
        }
    }

    /// Registers `observer`, called with the old and the new value on every change of this
    /// property, until the returned guard is dropped.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_futures::CallFuture;
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let flips = Rc::new(Cell::new(0));
    /// let _guard = future.cancellable().observe({
    ///     let flips = flips.clone();
    ///     move |old, new| { assert!(*old && !*new); flips.set(flips.get() + 1) }
    /// });
    /// future.cancel();
    /// assert_eq!(flips.get(), 1);
    /// ```
    pub fn observe(&self, observer: impl Fn(&bool, &bool) + 'static) -> ObserverGuard {
        // The projection is chosen here rather than captured (as a function pointer), so that
        // the registered closure is no larger than the observer: one that captures one handle
        // stays in the list's slot, and registering it allocates nothing.
        fn changed(observer: &impl Fn(&bool, &bool), old: bool, new: bool) {
            if old != new {
                observer(&old, &new);
            }
        }
        match self.facet.rank {
            CANCELLABLE_RANK => self.register(move |(old, new): &Change| {
                changed(&observer, old.is_cancellable(), new.is_cancellable())
            }),
            _ => self.register(move |(old, new): &Change| {
                changed(&observer, old.is_done(), new.is_done())
            }),
        }
    }
}

impl<T: Copy + PartialEq + 'static> FutureProperty<T> {
    /// The current value.
    ///
    /// ```
    /// use traits_futures::{CallFuture, FutureState};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert_eq!(future.state().get(), FutureState::Waiting);
    /// assert!(future.cancellable().get());
    /// assert!(!future.done().get());
    /// ```
    pub fn get(&self) -> T {
        (self.facet.project)(self.owner.state())
    }

    /// Registers `callback` in the status's list at this property's rank.
    fn register(&self, callback: impl Fn(&Change) + 'static) -> ObserverGuard {
        let weak: Weak<dyn StatusOwner> = Rc::downgrade(&self.owner);
        let owner: Weak<dyn Unobserve> = weak;
        self.owner
            .status()
            .observers
            .observe(self.facet.rank, callback, owner)
    }

    /// A futures-signals signal of the value (the latest-value view UI code binds to); it
    /// yields the current value first, then each new one.
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::CallFuture;
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let mut done = future.done().signal().to_stream();
    /// assert_eq!(block_on(done.next()), Some(false));
    /// ```
    pub fn signal(&self) -> impl Signal<Item = T> + 'static {
        StateSignal::new(&self.owner)
            .map(self.facet.project)
            .dedupe()
    }

    /// A [`Derived`] property computed from this one by `f`.
    ///
    /// ```
    /// use traits_futures::CallFuture;
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let label = future.state().map(|state| format!("Task: {state}"));
    /// future.cancel();
    /// assert_eq!(label.get(), "Task: Cancelling");
    /// ```
    pub fn map<V: Clone + PartialEq + 'static>(&self, f: impl Fn(&T) -> V + 'static) -> Derived<V> {
        let source = self.clone();
        Derived::new(&[self as &dyn Dependency], move || f(&source.get()))
    }
}

/// A future's property can be a source of a [`Derived`] property.
///
/// ```
/// use traits_core::{Dependency, Derived};
/// use traits_futures::CallFuture;
/// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
/// let done = future.done();
/// let label = Derived::new(&[&done as &dyn Dependency], {
///     let done = done.clone();
///     move || if done.get() { "finished" } else { "working" }
/// });
/// future.cancel();
/// assert_eq!(label.get(), "working");
/// ```
impl<T: Copy + PartialEq + 'static> Dependency for FutureProperty<T> {
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        let weak: Weak<dyn StatusOwner> = Rc::downgrade(&self.owner);
        self.owner.status().observers.add_dependent(dependent, weak)
    }
}

impl<T: Copy + PartialEq + fmt::Debug + 'static> fmt::Debug for FutureProperty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FutureProperty").field(&self.get()).finish()
    }
}
