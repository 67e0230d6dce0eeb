//! Property tests: random sequences against the state machine and against a real executor.
//!
//! One test binary for the layer (a binary per file would link the library once per file);
//! a module per former file, named in each line below.

mod executor;
mod machine;
