//! [`ObserverGuard`], the one guard type of every observable, and what it needs from the
//! observable it came from: [`Unobserve`] and the [`ObserverKey`] of its registration.

use std::rc::Weak;

/// Identifies one registered callback inside an [`ObserverList`](crate::ObserverList), for
/// [`Unobserve::unobserve`]. Keys increase with registration.
///
/// ```
/// use std::rc::Weak;
/// use traits_core::{ObserverKey, ObserverList, Unobserve};
///
/// struct Nobody;
/// impl Unobserve for Nobody { fn unobserve(&self, _key: ObserverKey) {} }
///
/// let list = ObserverList::<u8>::new();
/// let guard = list.observe(0, |_| {}, Weak::<Nobody>::new());
/// assert_eq!(list.len(), 1);
/// # drop(guard);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObserverKey(u64);

impl ObserverKey {
    /// The key of the `serial`-th registration of a list, with its rank in the low byte: keys
    /// still increase with registration.
    pub(crate) fn new(serial: u64, rank: u8) -> Self {
        ObserverKey(serial << 8 | u64::from(rank))
    }

    pub(crate) fn rank(self) -> u8 {
        self.0 as u8
    }

    pub(crate) fn to_bits(self) -> u64 {
        self.0
    }

    pub(crate) fn from_bits(bits: u64) -> Self {
        ObserverKey(bits)
    }
}

/// Type-erased removal, so that one guard type serves every observable: implemented by
/// whatever embeds an [`ObserverList`](crate::ObserverList) (see its example), which
/// [`ObserverGuard`]s reach through a `Weak<dyn Unobserve>`.
///
/// ```
/// use std::rc::{Rc, Weak};
/// use traits_core::{ObserverGuard, ObserverKey, ObserverList, Unobserve};
///
/// struct Alarm { observers: ObserverList<()> }
/// impl Unobserve for Alarm {
///     fn unobserve(&self, key: ObserverKey) { self.observers.remove(key) }
/// }
///
/// let alarm = Rc::new(Alarm { observers: ObserverList::new() });
/// let owner = Rc::downgrade(&alarm) as Weak<dyn Unobserve>;
/// let guard: ObserverGuard = alarm.observers.observe(0, |_| println!("ring"), owner);
/// assert_eq!(alarm.observers.len(), 1);
/// drop(guard); // calls `unobserve` with the registration's key
/// assert_eq!(alarm.observers.len(), 0);
/// ```
pub trait Unobserve {
    /// Unregisters the callback with `key` (usually `self.observers.remove(key)`).
    fn unobserve(&self, key: ObserverKey);
}

/// Keeps an observer registered; dropping it unregisters the observer.
///
/// Returned by every `observe` method of this crate. Keep the guard as long as the observer
/// should run (store it next to the widget it updates). Dropping it inside a notification stops
/// the observer at once: it is not called again, not even for the rest of that notification.
/// A guard may outlive the observable it came from; dropping it then does nothing.
///
/// Bind it to a named variable: `let _guard = value.observe(...)` keeps the observer until the
/// end of the scope, but `let _ = value.observe(...)` drops the guard on the spot, so the
/// observer never runs (it compiles without a warning: `let _ =` is how Rust says "ignore
/// this", and the compiler's help for an unused guard suggests it). To keep an observer for as
/// long as the observable lives, call [`detach`](Self::detach).
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
#[must_use = "dropping the guard unregisters the observer at once, and `let _ = ...` drops it \
              there: keep it with `let _guard = ...` (or call `.detach()`)"]
pub struct ObserverGuard {
    list: Option<Weak<dyn Unobserve>>,
    key: ObserverKey,
}

impl ObserverGuard {
    /// The guard of the registration `key` in the list embedded in `owner`.
    pub(crate) fn new(owner: Weak<dyn Unobserve>, key: ObserverKey) -> Self {
        ObserverGuard {
            list: Some(owner),
            key,
        }
    }
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

    /// The key of the registration this guard keeps. A guard that keeps several registrations
    /// (from [`Observable::observe_chain`](crate::Observable::observe_chain) or a
    /// [`has_traits!`](crate::has_traits) struct's `observe_any`) has the key of no single list.
    ///
    /// ```
    /// let value = traits_core::Observable::new(0);
    /// let a = value.observe(|_, _| {});
    /// let b = value.observe(|_, _| {});
    /// assert!(a.key() < b.key());
    /// ```
    pub fn key(&self) -> ObserverKey {
        self.key
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
