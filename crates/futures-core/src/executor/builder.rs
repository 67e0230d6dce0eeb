//! [`ExecutorBuilder`]: how an executor gets its worker pool.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use crate::error::BuildError;
use crate::executor::traits_executor::TraitsExecutor;
use crate::pool::queued_task::QueuedTask;
use crate::pool::thread_pool::ThreadPool;
use crate::pool::worker_pool::{PoolClosed, WorkerPool};

/// Configures a [`TraitsExecutor`]: either an owned pool of `max_workers` threads (the default:
/// one per available CPU), or a shared pool handed in, never both.
///
/// ```
/// use std::sync::Arc;
/// use traits_futures::{ThreadPool, TraitsExecutor};
///
/// let owned = TraitsExecutor::builder().max_workers(2).build()?;
/// let pool = Arc::new(ThreadPool::new(4));
/// let shared_a = TraitsExecutor::builder().worker_pool(pool.clone()).build()?;
/// let shared_b = TraitsExecutor::builder().worker_pool(pool.clone()).build()?;
/// # for e in [owned, shared_a, shared_b] { e.shutdown(None)?; }
/// # pool.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
#[must_use = "call build() to make the executor"]
pub struct ExecutorBuilder {
    max_workers: Option<usize>,
    pool: Option<Arc<dyn WorkerPool>>,
    /// `None`: the default limit.
    undispatched_warning: Option<Option<Duration>>,
}

impl ExecutorBuilder {
    /// Sizes the executor's own pool (joined when the executor stops): from 1 to
    /// [`ThreadPool::MAX_SIZE`] (512) threads; [`build`](Self::build) refuses 0 with
    /// [`BuildError::ZeroWorkers`] and more with [`BuildError::TooManyWorkers`]. Threads start
    /// only as tasks need them (an idle one is reused first), so a large size costs nothing
    /// until that many tasks run at once.
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::builder().max_workers(1).build()?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.max_workers = Some(workers);
        self
    }

    /// Runs tasks on a shared pool, which the executor never shuts down.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(traits_futures::ThreadPool::new(2));
    /// let executor = traits_futures::TraitsExecutor::builder().worker_pool(pool).build()?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn worker_pool(mut self, pool: Arc<dyn WorkerPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// How long task messages may wait for this thread to dispatch them before a warning is
    /// logged (once, at `warn`, through the `log` crate): 5 seconds unless set here; `None`
    /// turns it off.
    ///
    /// Messages wait undispatched when no event loop runs on the executor's thread (no
    /// `run_until`, no `dispatch_pending` after the wake callback, no spawned `dispatcher()`),
    /// which shows as futures that stay `Waiting` for ever. The check costs the workers a look
    /// at the clock now and then, when they announce messages, so it speaks up when a second
    /// task finishes unseen, not while a single one waits. Turn it off for a program that
    /// deliberately leaves messages waiting (one that dispatches only on a user's request).
    ///
    /// ```
    /// use std::time::Duration;
    /// let executor = traits_futures::TraitsExecutor::builder()
    ///     .undispatched_warning(Some(Duration::from_secs(30)))
    ///     .build()?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn undispatched_warning(mut self, after: Option<Duration>) -> Self {
        self.undispatched_warning = Some(after);
        self
    }

    /// Builds the executor. No thread starts until the first task is submitted.
    ///
    /// ```
    /// let err = traits_futures::TraitsExecutor::builder().max_workers(0).build().unwrap_err();
    /// assert_eq!(err, traits_futures::BuildError::ZeroWorkers);
    /// ```
    pub fn build(self) -> Result<TraitsExecutor, BuildError> {
        let choice = match (self.pool, self.max_workers) {
            (Some(_), Some(_)) => return Err(BuildError::PoolAndMaxWorkers),
            (None, Some(0)) => return Err(BuildError::ZeroWorkers),
            (None, Some(requested)) if requested > ThreadPool::MAX_SIZE => {
                return Err(BuildError::TooManyWorkers {
                    requested,
                    max: ThreadPool::MAX_SIZE,
                })
            }
            (Some(pool), None) => PoolChoice::Shared(pool),
            (None, workers) => PoolChoice::owned(workers.unwrap_or_else(default_workers)),
        };
        let executor = TraitsExecutor::with_pool(choice);
        if let Some(after) = self.undispatched_warning {
            executor.set_undispatched_warning(after);
        }
        Ok(executor)
    }
}

/// The size of an owned pool when none is given: one worker per available CPU (at most
/// [`ThreadPool::MAX_SIZE`]).
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .min(ThreadPool::MAX_SIZE)
}

/// Where the executor's tasks run.
pub(crate) enum PoolChoice {
    /// The executor's own pool, created with the first task and shut down at `Stopped`.
    Owned {
        size: usize,
        pool: OnceCell<Arc<ThreadPool>>,
    },
    /// A pool the executor shares and never shuts down.
    Shared(Arc<dyn WorkerPool>),
}

impl PoolChoice {
    pub(crate) fn owned(size: usize) -> Self {
        PoolChoice::Owned {
            size,
            pool: OnceCell::new(),
        }
    }

    /// Queues a task: straight onto the queue of a built-in pool (owned or shared), or boxed as
    /// a job for another pool.
    pub(crate) fn execute(&self, task: QueuedTask) -> Result<(), PoolClosed> {
        match self {
            PoolChoice::Owned { size, pool } => pool
                .get_or_init(|| Arc::new(ThreadPool::new(*size)))
                .execute_task(task),
            PoolChoice::Shared(pool) => match pool.as_thread_pool() {
                Some(pool) => pool.execute_task(task),
                None => pool.execute(Box::new(move || task.run())),
            },
        }
    }

    /// Shuts down and joins the executor's own pool, if it has started one; a shared pool is
    /// left running.
    pub(crate) fn shutdown_owned(&self) {
        if let PoolChoice::Owned { pool, .. } = self {
            if let Some(pool) = pool.get() {
                pool.shutdown();
            }
        }
    }
}
