//! Composition (issue 24): awaiting, continuations, chains, groups, slots, deadlines, submissions from other threads.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

mod awaiting;
mod deadline;
mod group;
mod remote;
mod slot;
