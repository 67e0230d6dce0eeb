//! [`WorkerPool`]: the seam any pool fits behind, and the [`Job`]s it runs.

use std::sync::Arc;

use thiserror::Error;

use crate::pool::thread_pool::ThreadPool;

/// A unit of work for a pool: run it once on some worker thread.
///
/// ```
/// use std::sync::mpsc;
/// use traits_futures::{Job, ThreadPool, WorkerPool};
/// let pool = ThreadPool::new(1);
/// let (done, finished) = mpsc::channel();
/// let job: Job = Box::new(move || done.send(2 + 2).unwrap());
/// pool.execute(job)?;
/// assert_eq!(finished.recv()?, 4);
/// pool.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool refused a job because it has been shut down.
///
/// ```
/// use traits_futures::{PoolClosed, ThreadPool, WorkerPool};
/// let pool = ThreadPool::new(1);
/// pool.shutdown();
/// assert_eq!(pool.execute(Box::new(|| {})), Err(PoolClosed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("the worker pool has been shut down")]
pub struct PoolClosed;

/// Anything that can run jobs on background threads.
///
/// Executors own a [`ThreadPool`] by default; hand one in with
/// [`ExecutorBuilder::worker_pool`](crate::ExecutorBuilder::worker_pool) to share it between
/// executors (the executor then never shuts it down). Implement this trait to run tasks on
/// another pool (rayon, tokio's blocking pool, …). A pool that drops a job without running it
/// makes that task's future `Failed` with [`TaskError::Dropped`](crate::TaskError::Dropped)
/// (or `Cancelled`, if it was cancelled meanwhile). A job an executor hands in never panics,
/// whether run or dropped: it catches its task's panics itself, those of its `Drop` included.
///
/// ```
/// use traits_futures::{Job, PoolClosed, WorkerPool};
///
/// /// A pool that starts a new thread per job.
/// struct ThreadPerJob;
/// impl WorkerPool for ThreadPerJob {
///     fn execute(&self, job: Job) -> Result<(), PoolClosed> {
///         std::thread::spawn(job);
///         Ok(())
///     }
/// }
/// ```
pub trait WorkerPool: Send + Sync {
    /// Runs `job` on a worker thread, or refuses it if the pool is shut down.
    fn execute(&self, job: Job) -> Result<(), PoolClosed>;

    /// The built-in pool behind this one, if it is one: an executor then queues its tasks
    /// directly, without boxing each as a [`Job`]. Other pools keep the default.
    #[doc(hidden)]
    fn as_thread_pool(&self) -> Option<&ThreadPool> {
        None
    }
}

impl<P: WorkerPool + ?Sized> WorkerPool for Arc<P> {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        (**self).execute(job)
    }

    fn as_thread_pool(&self) -> Option<&ThreadPool> {
        (**self).as_thread_pool()
    }
}
