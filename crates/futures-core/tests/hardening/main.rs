//! Hardening: panics, dropped executors, re-entrant cancels, stop order, the loop waker.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

#[path = "../common/mod.rs"]
mod common;

mod dropped_executor;
mod loop_waker;
mod panics;
mod reentrant_cancel;
mod stop_order;
