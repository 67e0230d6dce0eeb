//! Observable collections of the engine (issue 26): an iteration's items as a list, the executor's live futures.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

mod items;
mod live_futures;
