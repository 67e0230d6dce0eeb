//! The executor and its event loops: [`TraitsExecutor`](traits_executor::TraitsExecutor) submits
//! tasks to a worker pool and runs the `Running → Stopping → Stopped` lifecycle;
//! [`builder`] chooses its pool; [`event_loop`] dispatches the workers' messages on the main
//! thread (headless, async and notify integrations), each call within a [`budget`].
//!
//! Uses the future, the routing and the pools; only the task types and the crate root use it.

pub(crate) mod budget;
pub(crate) mod builder;
pub(crate) mod event_loop;
pub(crate) mod live_futures;
pub(crate) mod traits_executor;
