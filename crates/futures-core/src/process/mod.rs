//! The process context (feature `process`): tasks run in child processes, with the same
//! futures, states and event loops as on threads, crash isolation, and a cancel that always
//! works.
//!
//! A task run in a process is a named, registered function, not a closure: declare it as a
//! [`ProcessCall`] or a [`ProcessTask`], give every such task to [`init`] at the top of
//! `main` (in a child, `init` serves them and never returns), and submit it to a
//! [`ProcessPool`] with [`submit_process_call`], [`submit_process_iteration`] or
//! [`submit_process_progress`]. Inputs, messages, results and errors cross a pipe, so they
//! are serde types.
//!
//! * A child that crashes (a segfault, an abort, an exit, a kill) ends its task's future
//!   `Failed` with [`ProcessError::Signalled`] or [`ProcessError::Exited`]; the pool starts a
//!   new child for the next task, and the program goes on.
//! * A cancel first asks the task ([`ChildContext::send`] returns `Err(TaskCancelled)`,
//!   [`ChildContext::cancelled`] turns true), then, after the pool's
//!   [`grace`](ProcessPoolBuilder::grace) period, kills its process; the future ends
//!   `Cancelled` either way. So an executor's `shutdown(timeout)` with process tasks running
//!   takes at most the timeout plus the grace period.
//!
//! The guide's chapter on contexts walks through it.

mod child;
mod error;
mod pool;
mod relay;
mod task;
mod wire;
mod worker;

pub use child::{init, ChildContext};
pub use error::{Never, ProcessError};
pub use pool::{ProcessPool, ProcessPoolBuilder};
pub use relay::{submit_process_call, submit_process_iteration, submit_process_progress};
pub use task::{ProcessCall, ProcessEntry, ProcessTask};
