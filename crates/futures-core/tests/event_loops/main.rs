//! The event loops: headless, async (`Dispatcher`), notify (the wake callback), nested.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

#[path = "../common/mod.rs"]
mod common;

mod async_dispatcher;
mod headless;
mod nested_loops;
mod notify_wake;
