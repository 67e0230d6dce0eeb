//! The future: the main-thread half of every task. [`task_future`] holds
//! [`TaskFuture`](task_future::TaskFuture) and what a task type adds to it
//! ([`FutureHandler`](task_future::FutureHandler)); [`machine`] is its pure state machine;
//! [`property`] and [`state_signal`] are the observable views of its state; [`pipe_target`]
//! lets the router feed it; [`spec`] pairs a handler with its background task.
//!
//! Uses the routing (its driver is a pipe's main-thread end); knows nothing of executors or
//! worker pools.

pub(crate) mod machine;
pub(crate) mod pipe_target;
pub(crate) mod property;
pub(crate) mod spec;
pub(crate) mod state_signal;
pub(crate) mod task_future;
#[cfg(all(test, not(loom)))]
pub(crate) mod test_handler;
