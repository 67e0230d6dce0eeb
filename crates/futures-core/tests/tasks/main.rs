//! The task types: calls, iterations, progress and custom tasks, and how they fail.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

mod call;
mod custom_tasks;
mod failures;
mod iteration_cancel;
mod iteration_delivery;
mod progress;
