//! [`ValidatedObservable`]: an observable whose assignments are checked before they are stored.

use std::fmt;
use std::rc::Rc;

use futures_signals::signal::MutableSignalCloned;

use crate::cached::ChangeCounter;
use crate::chain::{Holder, ObservableValue};
use crate::derived::{Dependency, DependentHandle, Derived};
use crate::error::ValidationError;
use crate::guard::ObserverGuard;
use crate::observable::Observable;

/// A validator: accepts a candidate value or says why not.
type Validator<T> = Rc<dyn Fn(&T) -> Result<(), ValidationError>>;

/// An [`Observable`] whose every assignment goes through a validator.
///
/// It has no infallible `set`: the only way to change it is [`try_set`](Self::try_set), which
/// returns the validator's [`ValidationError`] and leaves the value, and every observer,
/// untouched when the value is rejected. The compiler thus makes sure that no caller forgets
/// that an assignment can fail.
///
/// ```
/// use traits_core::{ValidatedObservable, ValidationError};
///
/// let percent = ValidatedObservable::new(50, |v: &u8| {
///     if *v <= 100 { Ok(()) } else { Err(ValidationError::new(format!("{v} is above 100"))) }
/// })?;
/// assert!(percent.try_set(80)?);
/// let err = percent.try_set(180).unwrap_err();
/// assert_eq!(err.to_string(), "value rejected: 180 is above 100");
/// assert_eq!(percent.get(), 80);
/// # Ok::<(), ValidationError>(())
/// ```
pub struct ValidatedObservable<T> {
    value: Observable<T>,
    validator: Validator<T>,
}

impl<T> Clone for ValidatedObservable<T> {
    fn clone(&self) -> Self {
        ValidatedObservable {
            value: self.value.clone(),
            validator: Rc::clone(&self.validator),
        }
    }
}

impl<T: Clone + PartialEq + 'static> ValidatedObservable<T> {
    /// Creates a validated observable; the initial value must pass the validator too.
    ///
    /// ```
    /// use traits_core::{ValidatedObservable, ValidationError};
    /// let even = |v: &i32| if v % 2 == 0 { Ok(()) } else { Err(ValidationError::new("odd")) };
    /// assert!(ValidatedObservable::new(3, even).is_err());
    /// assert!(ValidatedObservable::new(4, even).is_ok());
    /// ```
    pub fn new(
        initial: T,
        validator: impl Fn(&T) -> Result<(), ValidationError> + 'static,
    ) -> Result<Self, ValidationError> {
        validator(&initial)?;
        Ok(ValidatedObservable {
            value: Observable::new(initial),
            validator: Rc::new(validator),
        })
    }

    /// Validates `value`, then stores it like [`Observable::set`]. Returns whether it changed.
    ///
    /// On rejection the value is left as it was and no observer runs.
    ///
    /// ```
    /// use traits_core::{ValidatedObservable, ValidationError};
    /// let name = ValidatedObservable::new("a".to_string(), |s: &String| {
    ///     if s.is_empty() { Err(ValidationError::new("empty name")) } else { Ok(()) }
    /// })?;
    /// assert!(name.try_set(String::new()).is_err());
    /// assert_eq!(name.get(), "a");
    /// # Ok::<(), ValidationError>(())
    /// ```
    pub fn try_set(&self, value: T) -> Result<bool, ValidationError> {
        (self.validator)(&value)?;
        Ok(self.value.set(value))
    }

    /// Returns a clone of the current value.
    ///
    /// ```
    /// let v = traits_core::ValidatedObservable::new(1, |_: &i32| Ok(()))?;
    /// assert_eq!(v.get(), 1);
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn get(&self) -> T {
        self.value.get()
    }

    /// Calls `f` with a reference to the current value.
    ///
    /// ```
    /// let v = traits_core::ValidatedObservable::new(vec![1], |_: &Vec<i32>| Ok(()))?;
    /// assert_eq!(v.with(Vec::len), 1);
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.value.with(f)
    }

    /// Registers `observer`, called with `(old, new)` after every accepted change.
    ///
    /// ```
    /// let v = traits_core::ValidatedObservable::new(1, |_: &i32| Ok(()))?;
    /// let _g = v.observe(|old, new| println!("{old} -> {new}"));
    /// v.try_set(2)?;
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn observe(&self, observer: impl Fn(&T, &T) + 'static) -> ObserverGuard {
        self.value.observe(observer)
    }

    /// Observes `field` of the object this value holds, following it from one object to the
    /// next: see [`Observable::observe_chain`].
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_core::{has_traits, ValidatedObservable};
    ///
    /// has_traits! { pub struct Track { pub volume: u8 = 50 } }
    /// let first = Rc::new(Track::new());
    /// let playing = ValidatedObservable::new(first.clone(), |_| Ok(()))?;
    /// let volume = Rc::new(Cell::new(0));
    /// let _guard = playing.observe_chain(|track| &track.volume, {
    ///     let volume = volume.clone();
    ///     move |_, new| volume.set(*new)
    /// });
    /// first.volume.set(60);
    /// assert_eq!(volume.get(), 60);
    /// let second = Track::new();
    /// second.volume.set(10);
    /// playing.try_set(Rc::new(second))?;
    /// assert_eq!(volume.get(), 10);
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn observe_chain<O, A, C>(&self, field: A, observer: C) -> ObserverGuard
    where
        T: Holder,
        O: ObservableValue + 'static,
        A: Fn(&T::Child) -> &O + 'static,
        C: Fn(&T::Resolved<O::Value>, &T::Resolved<O::Value>) + 'static,
        T::Resolved<O::Value>: Clone + PartialEq + 'static,
    {
        self.value.observe_chain(field, observer)
    }

    /// A futures-signals signal of the value (latest-value view).
    ///
    /// ```
    /// use futures_signals::signal::SignalExt;
    /// let v = traits_core::ValidatedObservable::new(1, |_: &i32| Ok(()))?;
    /// let _label = v.signal().map(|n| format!("{n}"));
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn signal(&self) -> MutableSignalCloned<T> {
        self.value.signal()
    }

    /// A read-only property derived from this value.
    ///
    /// ```
    /// let v = traits_core::ValidatedObservable::new(2, |_: &i32| Ok(()))?;
    /// assert_eq!(v.map(|n| n * 5).get(), 10);
    /// # Ok::<(), traits_core::ValidationError>(())
    /// ```
    pub fn map<U: Clone + PartialEq + 'static>(&self, f: impl Fn(&T) -> U + 'static) -> Derived<U> {
        self.value.map(f)
    }
}

impl<T: Clone + PartialEq + 'static> Dependency for ValidatedObservable<T> {
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.value.add_dependent(dependent)
    }

    fn change_counter(&self) -> Option<ChangeCounter> {
        self.value.change_counter()
    }
}

impl<T: fmt::Debug> fmt::Debug for ValidatedObservable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ValidatedObservable")
            .field(&self.value)
            .finish()
    }
}
