//! What `tests/loom.rs` needs beyond the public API; only in the model checker's build
//! (`cfg(loom)`), and not part of the crate's API.

use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::state::Input;

/// The inputs of the messages that `future`'s task has sent and the main thread has not yet
/// dispatched, in order. Empty for a detached future.
pub fn queued_inputs<H: FutureHandler>(future: &TaskFuture<H>) -> Vec<Input> {
    future.pipe_target().queued_inputs()
}
