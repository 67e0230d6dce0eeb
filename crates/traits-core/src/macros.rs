//! The [`has_traits!`](crate::has_traits) macro.

/// Declares a struct whose every field is observable, with defaults: the HasStrictTraits feel.
///
/// Each field is one of:
/// * `name: Type = default` — an [`Observable<Type>`](crate::Observable) starting at `default`;
/// * `name: Type where validator = default` — a
///   [`ValidatedObservable<Type>`](crate::ValidatedObservable) checked by the function `validator`
///   (a path to a `fn(&Type) -> Result<(), ValidationError>`);
/// * `name: event Type` — an [`Event<Type>`](crate::Event).
///
/// * `name: Type = derive(a, b, ..) => expression` — a cached, read-only
///   [`Derived<Type>`](crate::Derived) (see [`Derived::cached`](crate::Derived::cached)) over the
///   fields `a`, `b`, ..: inside `expression` each source's name stands for a clone of its
///   current value. It is evaluated when the struct is built and again only after one of its
///   sources changed, and it notifies only when its value changes. Its sources are stored or
///   validated fields (declared anywhere) or derived fields declared before it.
///
/// Nothing else can be declared, so every field is typed and observable. The macro generates the
/// struct, `new()`, [`Default`], and:
/// * `observe_any(observer) -> ObserverGuard`: `observer` is called with a
///   [`FieldChange`](crate::FieldChange) (the field's name and [kind](crate::FieldKind)) after
///   every change of any field and every fire of an event field, until the guard drops
///   (Traits' `observe("*")`, for dirty flags and autosave). It is registered with each field
///   as an ordinary observer, so it follows each field's rules of order and re-entrancy.
/// * [`PartialEq`] and [`Eq`] by identity: an object equals only itself (as Python objects do by
///   default), so an `Observable<Rc<Struct>>` or `Observable<Option<Rc<Struct>>>` can hold one
///   and notify when it is replaced by another (see
///   [`Observable::observe_chain`](crate::Observable::observe_chain)).
///
/// Attributes and doc comments on the struct and fields are kept.
///
/// # Panics
/// `new()` panics if a validated field's default fails its own validator: that is a mistake in
/// the declaration, found the first time the struct is built.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{has_traits, ValidationError};
///
/// fn adult_age(age: &u32) -> Result<(), ValidationError> {
///     if (18..150).contains(age) { Ok(()) } else { Err(ValidationError::new(format!("{age} is not an adult age"))) }
/// }
///
/// has_traits! {
///     /// A person in an address book.
///     pub struct Person {
///         /// Display name.
///         pub name: String = "Ann".to_string(),
///         /// Age in years.
///         pub age: u32 where adult_age = 30,
///         /// Fired with the new age on a birthday.
///         pub birthday: event u32,
///     }
/// }
///
/// let person = Person::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _g = person.name.observe({ let log = log.clone(); move |old, new| log.borrow_mut().push(format!("{old}->{new}")) });
/// person.name.set("Bea".to_string());
/// assert!(person.age.try_set(7).is_err());
/// person.birthday.fire(31);
/// assert_eq!(*log.borrow(), ["Ann->Bea"]);
/// assert_eq!(person.age.get(), 30);
/// ```
///
/// Derived fields, and `observe_any`:
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{has_traits, FieldKind};
///
/// has_traits! {
///     pub struct Rectangle {
///         pub width: u32 = 2,
///         pub height: u32 = 3,
///         /// Cached: evaluated again only after `width` or `height` changed.
///         pub area: u32 = derive(width, height) => width * height,
///         /// Over another derived field.
///         pub large: bool = derive(area) => area > 100,
///     }
/// }
///
/// let rect = Rectangle::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _area = rect.area.observe({ let log = log.clone(); move |old, new| log.borrow_mut().push(format!("area {old} -> {new}")) });
/// let _any = rect.observe_any({
///     let log = log.clone();
///     move |change| if change.kind == FieldKind::Value { log.borrow_mut().push(format!("{} changed", change.field)) }
/// });
/// rect.width.set(3);
/// rect.height.set(2); // the area stays 6: not notified
/// assert_eq!(*log.borrow(), ["width changed", "area 6 -> 9", "height changed", "area 9 -> 6"]);
/// assert!(!rect.large.get());
/// ```
///
/// A derived field is read-only: it has no setter.
///
/// ```compile_fail
/// traits_core::has_traits! {
///     pub struct Rectangle {
///         pub width: u32 = 2,
///         pub area: u32 = derive(width) => width * width,
///     }
/// }
/// let rect = Rectangle::new();
/// rect.area.set(5); // error: no method named `set` found for `Derived<u32>`
/// ```
#[macro_export]
macro_rules! has_traits {
    (
        $(#[$struct_meta:meta])*
        $struct_vis:vis struct $name:ident { $($body:tt)* }
    ) => {
        $crate::has_traits!(@field [$(#[$struct_meta])* $struct_vis struct $name] [] [] [] [] $($body)*);
    };

    // The accumulators: [struct fields] [initialisations of stored fields and events]
    // [initialisations of derived fields, after every stored one] [field names].

    // name: event Type
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*] $derived:tt [$($names:ident)*]
        $(#[$meta:meta])* $vis:vis $field:ident : event $ty:ty $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::Event<$ty>,]
            [$($inits)* let $field = $crate::Event::new();]
            $derived
            [$($names)* $field]
            $($($rest)*)?);
    };

    // name: Type = derive(a, b) => expression
    (@field $head:tt [$($fields:tt)*] $inits:tt [$($derived:tt)*] [$($names:ident)*]
        $(#[$meta:meta])* $vis:vis $field:ident : $ty:ty = derive ( $($source:ident),* $(,)? )
        => $body:expr $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::Derived<$ty>,]
            $inits
            [$($derived)* let $field = $crate::Derived::<$ty>::cached(
                &[$(&$source as &dyn $crate::Dependency),*],
                {
                    $(let $source = ::core::clone::Clone::clone(&$source);)*
                    move || -> $ty {
                        $(let $source = $source.get();)*
                        $body
                    }
                },
            );]
            [$($names)* $field]
            $($($rest)*)?);
    };

    // name: Type where validator = default
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*] $derived:tt [$($names:ident)*]
        $(#[$meta:meta])* $vis:vis $field:ident : $ty:ty where $validator:path = $default:expr
        $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::ValidatedObservable<$ty>,]
            [$($inits)* let $field = match $crate::ValidatedObservable::new($default, $validator) {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => ::core::panic!(
                    "the default of field `{}` fails its validator: {}",
                    ::core::stringify!($field),
                    error
                ),
            };]
            $derived
            [$($names)* $field]
            $($($rest)*)?);
    };

    // name: Type = default
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*] $derived:tt [$($names:ident)*]
        $(#[$meta:meta])* $vis:vis $field:ident : $ty:ty = $default:expr $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::Observable<$ty>,]
            [$($inits)* let $field = $crate::Observable::<$ty>::new($default);]
            $derived
            [$($names)* $field]
            $($($rest)*)?);
    };

    // all fields consumed
    (@field [$(#[$struct_meta:meta])* $struct_vis:vis struct $name:ident]
        [$($fields:tt)*] [$($inits:tt)*] [$($derived:tt)*] [$($names:ident)*]
    ) => {
        $(#[$struct_meta])*
        $struct_vis struct $name { $($fields)* }

        impl $name {
            /// Creates the object with every field at its declared default.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $($inits)*
                $($derived)*
                $name { $($names),* }
            }

            /// Registers `observer`, called with the name and kind of the field after every
            /// change of any field (and every fire of an event field), until the guard drops.
            #[allow(dead_code)]
            pub fn observe_any(
                &self,
                observer: impl ::core::ops::Fn(&$crate::FieldChange) + 'static,
            ) -> $crate::ObserverGuard {
                let any = $crate::__private::AnyObserver::new(observer);
                $(any.watch(&self.$names, ::core::stringify!($names));)*
                any.guard()
            }
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        /// Identity: an object equals only itself.
        impl ::core::cmp::PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ::core::ptr::eq(self, other)
            }
        }

        impl ::core::cmp::Eq for $name {}
    };
}
