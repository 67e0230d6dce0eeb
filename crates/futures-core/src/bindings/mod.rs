//! Toolkit bindings, each behind its feature: the common case of binding a widget to a future
//! in one call.

#[cfg(feature = "gtk")]
pub mod gtk;
