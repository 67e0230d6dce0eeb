//! Toolkit bindings: small helpers that connect the executor and its futures to a GUI toolkit
//! or a terminal, each behind the feature of its toolkit, so that the common case (wake the
//! toolkit, dispatch each frame, show a future's progress) is one line.
//!
//! Written on the crate's public surface (the executor's event-loop methods, a future's
//! properties and continuations), like a user's own binding would be.

pub(crate) mod progress_value;

#[cfg(feature = "egui")]
pub mod egui;
#[cfg(feature = "indicatif")]
pub mod terminal;
