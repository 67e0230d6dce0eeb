//! Observable values for main-thread objects: the Traits-style layer under `traits-futures`.
//!
//! Python's Traits gives objects typed attributes that validate on assignment and notify
//! observers with old and new value, events that carry a value and store none, and read-only
//! properties derived from other attributes. This crate is the Rust counterpart, built on
//! [`futures_signals`]:
//!
//! | Python Traits            | this crate                                  |
//! |--------------------------|---------------------------------------------|
//! | `Int()`, `Str()`, …      | [`Observable<T>`]                           |
//! | `Range`, validated trait | [`ValidatedObservable<T>`]                  |
//! | `Event()`                | [`Event<T>`]                                |
//! | `Property(observe=…)`    | [`Derived<T>`]                              |
//! | `cached_property`        | [`Derived::cached`], `derive(..)` fields    |
//! | `observe("child.value")` | [`Observable::observe_chain`]               |
//! | `observe("*")`           | `observe_any` of a [`has_traits!`] struct   |
//! | `HasStrictTraits`        | [`has_traits!`]                             |
//! | `List`, `Dict`           | [`ObservableVec<T>`], [`ObservableMap<K, V>`] |
//!
//! Every observable offers two views:
//!
//! * **observers** ([`Observable::observe`]): synchronous callbacks that see every change, in
//!   order, on the thread that made it (lossless); they are removed when their
//!   [`ObserverGuard`] drops;
//! * **signals** ([`Observable::signal`]): futures-signals signals of the latest value
//!   (coalescing), for binding UI with combinators such as `map`, `dedupe` and `map_ref!`.
//!
//! Events add a lossless [`Stream`](futures_core::Stream) ([`Event::stream`]).
//!
//! # Threading
//! Observers need not be `Send` (they usually capture GUI widgets), so every type here is a
//! main-thread object: `!Send` and `!Sync`. The signals they hand out are plain futures-signals
//! signals and may be polled by any executor on that thread.
//!
//! ```compile_fail
//! let value = traits_core::Observable::new(1);
//! std::thread::spawn(move || value.set(2)); // `Observable` is not `Send`
//! ```
//!
//! # Notification rules
//! * Observers run synchronously, in registration order; then dependents (derived properties,
//!   streams, signal taps).
//! * A change made from inside an observer to the *same* observable is queued and delivered when
//!   the current notification is over, so every observer sees every change in order. A change to
//!   a *different* observable is delivered at once (nested).
//! * An observer added during a notification first hears the next change; an observer removed
//!   (guard dropped) during a notification is not called again.
//! * A panicking observer leaves the value set and the other observers called; the first panic
//!   resumes on the thread that made the change once the notification is over.
//!
//! The [`guide`] chapter walks through all of this with examples.
//!
//! ```
//! use traits_core::Observable;
//!
//! let temperature = Observable::new(20);
//! let warm = temperature.map(|t| *t >= 25);
//! let _guard = warm.observe(|_, now_warm| println!("warm: {now_warm}"));
//! temperature.set(26); // prints "warm: true"
//! temperature.set(27); // still warm: `warm` does not notify
//! ```
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod cached;
#[allow(unsafe_code)] // The one exception: see the module's safety invariant.
mod callback;
mod chain;
mod collections;
mod derived;
mod error;
mod event;
mod guard;
mod macros;
mod observable;
mod observe_any;
mod observer_table;
mod observers;
mod validated;

pub use cached::ChangeCounter;
pub use chain::{Holder, ObservableValue};
pub use collections::map::{MapChange, MapReadGuard, ObservableMap};
pub use collections::vec::ObservableVec;
pub use collections::vec_change::{IndexOutOfRange, VecChange};
pub use collections::vec_handles::{VecReadGuard, WeakObservableVec};
pub use derived::{Dependency, DependentHandle, Derived, Recompute};
pub use error::ValidationError;
pub use event::Event;
pub use guard::{ObserverGuard, ObserverKey, Unobserve};
pub use observable::Observable;
pub use observe_any::{FieldChange, FieldKind};
pub use observers::ObserverList;
pub use validated::ValidatedObservable;

/// Re-exported so that users bind signals without naming a second version of the crate.
pub use futures_signals;

/// Support for the code [`has_traits!`] generates; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::observe_any::{AnyObserver, ObserveField};
}

pub mod guide {
    //! The user-guide chapter on observable values, with every example compiled and run as a test.
    #![doc = include_str!("../../../docs/04-observable-values.md")]
}
