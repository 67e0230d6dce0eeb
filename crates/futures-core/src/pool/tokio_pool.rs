//! [`TokioBlockingPool`]: tasks on a tokio runtime's blocking pool (feature `tokio`).

use std::fmt;

use tokio::runtime::Handle;

use crate::pool::worker_pool::{Job, PoolClosed, WorkerPool};

/// Runs tasks on a tokio runtime's blocking pool (`spawn_blocking`).
///
/// For an application that already runs a tokio runtime (for networking, say), so that
/// background tasks use its blocking threads, which tokio starts and retires as the load asks
/// (up to the runtime's `max_blocking_threads`, 512 unless the runtime's builder says fewer:
/// a burst of tasks can start that many threads).
/// The executor never shuts the runtime down. A task submitted once the runtime is shutting
/// down, or still queued when it shuts down, is dropped without running: its future ends
/// [`Failed`](crate::FutureState::Failed) with [`TaskError::Dropped`](crate::TaskError::Dropped)
/// (or `Cancelled`, if it was cancelled).
///
/// ```
/// use std::sync::Arc;
/// use traits_futures::{submit_call, TokioBlockingPool, TraitsExecutor};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let executor = TraitsExecutor::builder()
///     .worker_pool(Arc::new(TokioBlockingPool::new(runtime.handle().clone())))
///     .build()?;
/// let future = submit_call(&executor, || "computed on a blocking thread")?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&"computed on a blocking thread"));
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TokioBlockingPool {
    handle: Handle,
}

impl TokioBlockingPool {
    /// The blocking pool of the runtime behind `handle` (`runtime.handle().clone()`, or
    /// `Handle::current()` inside the runtime).
    ///
    /// ```
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let pool = traits_futures::TokioBlockingPool::new(runtime.handle().clone());
    /// # drop(pool);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(handle: Handle) -> Self {
        TokioBlockingPool { handle }
    }
}

impl WorkerPool for TokioBlockingPool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        // The join handle is not needed: the task reports through its pipe. A job the runtime
        // drops unrun (it is shutting down) ends its future as the executor's jobs always do.
        drop(self.handle.spawn_blocking(job));
        Ok(())
    }
}

impl fmt::Debug for TokioBlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioBlockingPool")
            .field("runtime", &self.handle.id())
            .finish()
    }
}
