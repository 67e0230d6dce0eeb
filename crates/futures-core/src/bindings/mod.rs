//! Toolkit bindings: small helpers that connect the executor and its futures to a GUI toolkit
//! or a terminal, each behind the feature of its toolkit, so that the common case (wake the
//! toolkit, dispatch each frame, bind a widget to a future's progress, state or cancel) is one
//! line.
//!
//! Written on the crate's public surface (the executor's event-loop methods, a future's
//! properties and continuations), like a user's own binding would be. `watch.rs` and
//! `progress_value.rs` are shared by every toolkit and always built.

pub(crate) mod progress_value;
pub(crate) mod watch;

#[cfg(feature = "egui")]
pub mod egui;
#[cfg(feature = "gtk")]
pub mod gtk;
#[cfg(feature = "indicatif")]
pub mod terminal;
