//! The executor: stop, shutdown and its workers (sections E and F).
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

#[path = "../common/mod.rs"]
mod common;

mod shutdown;
mod stop;
mod workers;
