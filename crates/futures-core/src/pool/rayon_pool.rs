//! [`RayonPool`]: tasks on a rayon thread pool (feature `rayon`).

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::panic_message;
use crate::pool::worker_pool::{Job, PoolClosed, WorkerPool};

/// Runs tasks on a rayon thread pool: rayon's global pool, or one of your own.
///
/// For an application that already uses rayon for its computations, so that background tasks
/// and parallel iterators share one set of threads instead of oversubscribing the CPU. Rayon's
/// threads are meant for computing, not waiting: a task that blocks (on I/O, on a channel)
/// holds a rayon thread, and with it every parallel iterator that needs one; give such tasks
/// the built-in [`ThreadPool`](crate::ThreadPool) instead.
///
/// A rayon pool is never shut down by an executor, and it never refuses a job. A job that
/// panics is caught and logged here, where rayon would abort the process; the executor's own
/// jobs never panic (a task's panic fails its future).
///
/// ```
/// use std::sync::Arc;
/// use traits_futures::{submit_call, RayonPool, TraitsExecutor};
///
/// let executor = TraitsExecutor::builder()
///     .worker_pool(Arc::new(RayonPool::global()))
///     .build()?;
/// let future = submit_call(&executor, || (1..=100u64).sum::<u64>())?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&5050));
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct RayonPool {
    /// `None`: rayon's global pool.
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl RayonPool {
    /// Rayon's global pool (built on first use with rayon's defaults, or as configured by
    /// `rayon::ThreadPoolBuilder::build_global`).
    ///
    /// ```
    /// let pool = traits_futures::RayonPool::global();
    /// # drop(pool);
    /// ```
    pub fn global() -> Self {
        RayonPool { pool: None }
    }

    /// A pool of your own, shared with the rest of the application.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let threads = Arc::new(rayon::ThreadPoolBuilder::new().num_threads(2).build()?);
    /// let pool = traits_futures::RayonPool::new(Arc::clone(&threads));
    /// # drop(pool);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(pool: Arc<rayon::ThreadPool>) -> Self {
        RayonPool { pool: Some(pool) }
    }
}

impl WorkerPool for RayonPool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let guarded = move || {
            // Rayon aborts the process on a panic that reaches it, and a payload's own `Drop`
            // may panic: `panic_message` catches that too.
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
                let panic = panic_message(payload);
                log::error!("traits-futures: a job panicked on a rayon thread: {panic}");
            }
        };
        match &self.pool {
            Some(pool) => pool.spawn(guarded),
            None => rayon::spawn(guarded),
        }
        Ok(())
    }
}

impl fmt::Debug for RayonPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pool {
            Some(pool) => write!(f, "RayonPool({} threads)", pool.current_num_threads()),
            None => f.write_str("RayonPool(global)"),
        }
    }
}
