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
/// Nothing else can be declared, so every field is typed and observable. The macro generates the
/// struct, `new()` and [`Default`]. Attributes and doc comments on the struct and fields are kept.
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
#[macro_export]
macro_rules! has_traits {
    (
        $(#[$struct_meta:meta])*
        $struct_vis:vis struct $name:ident { $($body:tt)* }
    ) => {
        $crate::has_traits!(@field [$(#[$struct_meta])* $struct_vis struct $name] [] [] $($body)*);
    };

    // name: event Type
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*]
        $(#[$meta:meta])* $vis:vis $field:ident : event $ty:ty $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::Event<$ty>,]
            [$($inits)* $field: $crate::Event::new(),]
            $($($rest)*)?);
    };

    // name: Type where validator = default
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*]
        $(#[$meta:meta])* $vis:vis $field:ident : $ty:ty where $validator:path = $default:expr
        $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::ValidatedObservable<$ty>,]
            [$($inits)* $field: match $crate::ValidatedObservable::new($default, $validator) {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => ::core::panic!(
                    "the default of field `{}` fails its validator: {}",
                    ::core::stringify!($field),
                    error
                ),
            },]
            $($($rest)*)?);
    };

    // name: Type = default
    (@field $head:tt [$($fields:tt)*] [$($inits:tt)*]
        $(#[$meta:meta])* $vis:vis $field:ident : $ty:ty = $default:expr $(, $($rest:tt)*)?
    ) => {
        $crate::has_traits!(@field $head
            [$($fields)* $(#[$meta])* $vis $field: $crate::Observable<$ty>,]
            [$($inits)* $field: $crate::Observable::new($default),]
            $($($rest)*)?);
    };

    // all fields consumed
    (@field [$(#[$struct_meta:meta])* $struct_vis:vis struct $name:ident]
        [$($fields:tt)*] [$($inits:tt)*]
    ) => {
        $(#[$struct_meta])*
        $struct_vis struct $name { $($fields)* }

        impl $name {
            /// Creates the object with every field at its declared default.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name { $($inits)* }
            }
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }
    };
}
