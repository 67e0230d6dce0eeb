//! The future layer: its state machine's contract (section A) through the public API.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

#[path = "../common/mod.rs"]
mod common;

mod outcome;
mod properties;
mod protocol;
mod state;
