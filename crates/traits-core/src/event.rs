//! [`Event`]: a typed notification that carries a value and stores none.

use std::cell::OnceCell;
use std::fmt;
use std::rc::{Rc, Weak};

use futures_channel::mpsc;
use futures_signals::signal::{Mutable, MutableSignalCloned};

use crate::callback::Callback;
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observers::{ObserverList, Tier};

/// A typed event: [`fire`](Self::fire) hands a value to every observer, in order, and keeps none.
///
/// Three views, for three uses:
/// * [`observe`](Self::observe): synchronous observers see every value, in order (lossless);
/// * [`stream`](Self::stream): an unbounded [`Stream`](futures_core::Stream) of every value
///   fired after it was created (lossless, for async code);
/// * [`signal`](Self::signal): the latest value fired, `None` before the first (coalescing, for
///   UI).
///
/// Re-entrancy and panics follow the same rules as [`Observable`](crate::Observable): a value
/// fired from inside an observer of the same event is delivered after the current one.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::Event;
///
/// let clicked: Event<u32> = Event::new();
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let _g = clicked.observe({ let seen = seen.clone(); move |n| seen.borrow_mut().push(*n) });
/// clicked.fire(1);
/// clicked.fire(1); // events always notify, even for equal values
/// assert_eq!(*seen.borrow(), [1, 1]);
/// ```
pub struct Event<T> {
    inner: Rc<Inner<T>>,
}

struct Inner<T> {
    observers: ObserverList<T>,
    /// Created on the first call to `signal`, so events nobody binds to store nothing.
    latest: OnceCell<Mutable<Option<T>>>,
}

impl<T: 'static> Unobserve for Inner<T> {
    fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

impl<T> Clone for Event<T> {
    fn clone(&self) -> Self {
        Event {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: 'static> Event<T> {
    /// Creates an event with no observers.
    ///
    /// ```
    /// let done: traits_core::Event<()> = traits_core::Event::new();
    /// done.fire(());
    /// ```
    pub fn new() -> Self {
        Event {
            inner: Rc::new(Inner {
                observers: ObserverList::new(),
                latest: OnceCell::new(),
            }),
        }
    }

    fn owner(&self) -> Weak<dyn Unobserve> {
        Rc::downgrade(&self.inner) as Weak<dyn Unobserve>
    }

    /// Delivers `value` to every observer, stream and signal of this event.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let ticks: traits_core::Event<u8> = traits_core::Event::new();
    /// let total = Rc::new(Cell::new(0));
    /// let _g = ticks.observe({ let t = total.clone(); move |n| t.set(t.get() + *n) });
    /// ticks.fire(2);
    /// ticks.fire(3);
    /// assert_eq!(total.get(), 5);
    /// ```
    #[inline]
    pub fn fire(&self, value: T) {
        self.inner.observers.emit(value);
    }

    /// Registers `observer`, called with every fired value until the guard drops.
    ///
    /// ```
    /// let e: traits_core::Event<&str> = traits_core::Event::new();
    /// let guard = e.observe(|word| println!("{word}"));
    /// e.fire("hello");
    /// drop(guard);
    /// ```
    pub fn observe(&self, observer: impl Fn(&T) + 'static) -> ObserverGuard {
        self.inner.observers.add(
            Tier::Observer,
            Callback::new(move |value: &T| {
                observer(value);
                true
            }),
            self.owner(),
        )
    }

    /// The number of registered observers, streams and signal taps.
    ///
    /// ```
    /// let e: traits_core::Event<i32> = traits_core::Event::new();
    /// let _g = e.observe(|_| {});
    /// assert_eq!(e.observer_count(), 1);
    /// ```
    pub fn observer_count(&self) -> usize {
        self.inner.observers.len()
    }
}

impl<T: Clone + 'static> Event<T> {
    /// A lossless stream of every value fired from now on, in order.
    ///
    /// The stream buffers without bound until it is polled; it unregisters itself at the first
    /// fire after it was dropped.
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// let e: traits_core::Event<i32> = traits_core::Event::new();
    /// let stream = e.stream();
    /// e.fire(1);
    /// e.fire(2);
    /// drop(e);
    /// assert_eq!(block_on(stream.collect::<Vec<_>>()), [1, 2]);
    /// ```
    pub fn stream(&self) -> mpsc::UnboundedReceiver<T> {
        let (sender, receiver) = mpsc::unbounded();
        self.inner
            .observers
            .add(
                Tier::Dependent,
                Callback::new(move |value: &T| sender.unbounded_send(value.clone()).is_ok()),
                self.owner(),
            )
            .detach();
        receiver
    }

    /// A signal of the latest fired value: `None` until the first fire after the first call.
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// let e: traits_core::Event<i32> = traits_core::Event::new();
    /// let mut latest = e.signal().to_stream();
    /// assert_eq!(block_on(latest.next()), Some(None));
    /// e.fire(1);
    /// e.fire(2);
    /// assert_eq!(block_on(latest.next()), Some(Some(2)));
    /// ```
    pub fn signal(&self) -> MutableSignalCloned<Option<T>> {
        let latest = self.inner.latest.get_or_init(|| {
            let latest = Mutable::new(None);
            let tap = latest.clone();
            self.inner
                .observers
                .add(
                    Tier::Dependent,
                    Callback::new(move |value: &T| {
                        tap.set(Some(value.clone()));
                        true
                    }),
                    self.owner(),
                )
                .detach(); // lives as long as the event
            latest
        });
        latest.signal_cloned()
    }
}

impl<T: 'static> Default for Event<T> {
    fn default() -> Self {
        Event::new()
    }
}

impl<T> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").finish_non_exhaustive()
    }
}
