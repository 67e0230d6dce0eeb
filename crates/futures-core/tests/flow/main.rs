//! Flow between task and GUI (issue 23): frame budgets, coalescing progress, back-pressure, suspend, input, steps.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

mod budget;
mod park;
mod progress;
mod steps;
