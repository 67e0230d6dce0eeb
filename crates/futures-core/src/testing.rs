//! Helpers for tests of code that uses futures (behaviour j120–j121).
//!
//! The event-loop helpers themselves are methods of the executor, so that test code drives the
//! same loop as production code:
//! [`TraitsExecutor::run_until`](crate::TraitsExecutor::run_until) runs the loop until a
//! condition holds (checked first, then after every dispatched message, with one overall
//! timeout), and
//! [`TraitsExecutor::exercise_event_loop`](crate::TraitsExecutor::exercise_event_loop) posts a
//! sentinel and runs until it arrives. This module adds [`Recorder`], which records every value
//! an observable takes or an event carries, and a default timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use traits_core::{Derived, Event, Observable, ObserverGuard};

use crate::future::property::FutureProperty;
use crate::state::FutureState;

/// A generous timeout for tests: long enough for a loaded CI machine, short enough to fail.
///
/// Give it to every wait in a test, so that a lost message fails the test instead of hanging it:
///
/// ```
/// use traits_futures::{submit_call, testing::TEST_TIMEOUT, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 1)?;
/// executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
/// executor.shutdown(Some(TEST_TIMEOUT))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Records, in order, the values an observable takes (starting with its current value), or the
/// values an event carries.
///
/// ```
/// use traits_futures::{submit_call, testing::{Recorder, TEST_TIMEOUT}, FutureState, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 1)?;
/// let states = Recorder::observable(future.state());
/// executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
/// assert_eq!(states.values(), [FutureState::Waiting, FutureState::Executing, FutureState::Completed]);
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recorder<T> {
    values: Rc<RefCell<Vec<T>>>,
    _guard: ObserverGuard,
}

/// Anything whose value a [`Recorder`] can follow: an [`Observable`], a [`Derived`] property,
/// or a future's [`FutureProperty`] (by reference or by value).
///
/// ```
/// use traits_futures::{testing::{Recorder, TEST_TIMEOUT}, ExecutorState, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let states = Recorder::observable(executor.state()); // an Observable
/// let running = Recorder::observable(executor.running()); // a Derived
/// executor.shutdown(Some(TEST_TIMEOUT))?;
/// assert_eq!(states.values(), [ExecutorState::Running, ExecutorState::Stopping, ExecutorState::Stopped]);
/// assert_eq!(running.values(), [true, false]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Watchable<T> {
    /// The current value.
    fn current(&self) -> T;
    /// Registers `observer` for every later change.
    fn watch(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard;
}

impl<T: Clone + PartialEq + 'static> Watchable<T> for Observable<T> {
    fn current(&self) -> T {
        self.get()
    }
    fn watch(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        self.observe(observer)
    }
}

impl<T: Clone + PartialEq + 'static> Watchable<T> for Derived<T> {
    fn current(&self) -> T {
        self.get()
    }
    fn watch(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        self.observe(observer)
    }
}

impl Watchable<FutureState> for FutureProperty<FutureState> {
    fn current(&self) -> FutureState {
        self.get()
    }
    fn watch(&self, observer: impl Fn(&FutureState, &FutureState) + 'static) -> ObserverGuard {
        self.observe(observer)
    }
}

impl Watchable<bool> for FutureProperty<bool> {
    fn current(&self) -> bool {
        self.get()
    }
    fn watch(&self, observer: impl Fn(&bool, &bool) + 'static) -> ObserverGuard {
        self.observe(observer)
    }
}

impl<T, W: Watchable<T> + ?Sized> Watchable<T> for &W {
    fn current(&self) -> T {
        (**self).current()
    }
    fn watch(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        (**self).watch(observer)
    }
}

impl<T: Clone + PartialEq + 'static> Recorder<T> {
    /// Records an observable's current value and every later one: an [`Observable`], or a
    /// future's [`state`](crate::TaskFuture::state).
    ///
    /// ```
    /// let value = traits_core::Observable::new(1);
    /// let recorder = traits_futures::testing::Recorder::observable(&value);
    /// value.set(2);
    /// assert_eq!(recorder.values(), [1, 2]);
    /// ```
    pub fn observable(source: impl Watchable<T>) -> Self {
        let values = Rc::new(RefCell::new(vec![source.current()]));
        let sink = Rc::clone(&values);
        let guard = source.watch(move |_, new| sink.borrow_mut().push(new.clone()));
        Recorder {
            values,
            _guard: guard,
        }
    }

    /// Records a derived property's current value and every later one: a [`Derived`], or a
    /// future's [`cancellable`](crate::TaskFuture::cancellable) or
    /// [`done`](crate::TaskFuture::done).
    ///
    /// ```
    /// let value = traits_core::Observable::new(1);
    /// let tens = value.map(|v| v * 10); // keep the derived property alive while recording
    /// let recorder = traits_futures::testing::Recorder::derived(&tens);
    /// value.set(2);
    /// assert_eq!(recorder.values(), [10, 20]);
    /// ```
    pub fn derived(source: impl Watchable<T>) -> Self {
        Recorder::observable(source)
    }
}

impl<T: Clone + 'static> Recorder<T> {
    /// Records every value `event` carries from now on.
    ///
    /// ```
    /// let event = traits_core::Event::new();
    /// let recorder = traits_futures::testing::Recorder::event(&event);
    /// event.fire("a");
    /// assert_eq!(recorder.values(), ["a"]);
    /// ```
    pub fn event(event: &Event<T>) -> Self {
        let values = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&values);
        let guard = event.observe(move |value| sink.borrow_mut().push(value.clone()));
        Recorder {
            values,
            _guard: guard,
        }
    }

    /// A copy of the values recorded so far.
    ///
    /// ```
    /// let event: traits_core::Event<u8> = traits_core::Event::new();
    /// assert!(traits_futures::testing::Recorder::event(&event).values().is_empty());
    /// ```
    pub fn values(&self) -> Vec<T> {
        self.values.borrow().clone()
    }

    /// How many values were recorded.
    ///
    /// ```
    /// let event: traits_core::Event<u8> = traits_core::Event::new();
    /// let recorder = traits_futures::testing::Recorder::event(&event);
    /// event.fire(1);
    /// assert_eq!(recorder.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.values.borrow().len()
    }

    /// Whether nothing was recorded.
    ///
    /// ```
    /// let event: traits_core::Event<u8> = traits_core::Event::new();
    /// assert!(traits_futures::testing::Recorder::event(&event).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.borrow().is_empty()
    }
}
