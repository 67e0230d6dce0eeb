//! Worker pools: [`WorkerPool`], the seam any pool fits behind, and [`ThreadPool`], the built-in one.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use thiserror::Error;

use crate::job_queue::JobQueue;
use crate::runner::QueuedTask;

/// A unit of work for a pool: run it once on some worker thread.
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
/// makes that task's future `Failed` with [`TaskError::Dropped`](crate::TaskError::Dropped).
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
}

/// A fixed-size pool of named worker threads fed by one job queue.
///
/// Threads start lazily, one per submitted job, up to the pool's size. A panicking job does not
/// kill its thread. [`shutdown`](Self::shutdown) lets queued jobs finish, then joins every
/// thread; dropping the pool closes the queue without waiting.
///
/// ```
/// use std::sync::mpsc;
/// use traits_futures::{ThreadPool, WorkerPool};
///
/// let pool = ThreadPool::new(2);
/// let (tx, rx) = mpsc::channel();
/// pool.execute(Box::new(move || tx.send(6 * 7).unwrap()))?;
/// assert_eq!(rx.recv().unwrap(), 42);
/// pool.shutdown();
/// # Ok::<(), traits_futures::PoolClosed>(())
/// ```
pub struct ThreadPool {
    size: usize,
    name: String,
    queue: Arc<JobQueue<Work>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    started: AtomicUsize,
}

/// What the built-in pool's queue carries: any job, or an executor's task without the boxing
/// (the executor's fast path: the task's cell is already an allocation of its own).
enum Work {
    Job(Job),
    Task(QueuedTask),
}

impl Work {
    fn run(self) {
        match self {
            Work::Job(job) => job(),
            Work::Task(task) => task.run(),
        }
    }
}

static POOL_IDS: AtomicUsize = AtomicUsize::new(0);

impl ThreadPool {
    /// Creates a pool of at most `size` threads (at least one). No thread starts until a job arrives.
    ///
    /// ```
    /// let pool = traits_futures::ThreadPool::new(4);
    /// assert_eq!(pool.size(), 4);
    /// assert_eq!(pool.started_threads(), 0);
    /// ```
    pub fn new(size: usize) -> Self {
        ThreadPool {
            size: size.max(1),
            name: format!("tf-pool{}", POOL_IDS.fetch_add(1, Ordering::Relaxed)),
            queue: Arc::new(JobQueue::new()),
            threads: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
        }
    }

    /// The maximum number of threads.
    ///
    /// ```
    /// assert_eq!(traits_futures::ThreadPool::new(0).size(), 1);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many threads have been started so far (they are joined at shutdown).
    ///
    /// ```
    /// let pool = traits_futures::ThreadPool::new(3);
    /// assert_eq!(pool.started_threads(), 0);
    /// ```
    pub fn started_threads(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    /// Refuses new jobs, lets queued jobs finish, and joins every thread. Idempotent.
    ///
    /// Do not call it from one of the pool's own jobs (a thread cannot join itself).
    ///
    /// ```
    /// let pool = traits_futures::ThreadPool::new(2);
    /// pool.shutdown();
    /// pool.shutdown(); // harmless
    /// ```
    pub fn shutdown(&self) {
        self.queue.close();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            if thread.thread().id() == thread::current().id() {
                continue;
            }
            let _ = thread.join();
        }
    }

    fn start_thread(&self) {
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        let index = self.started.load(Ordering::Acquire);
        if index >= self.size {
            return;
        }
        let queue = Arc::clone(&self.queue);
        let spawned = thread::Builder::new()
            .name(format!("{}-w{index}", self.name))
            .spawn(move || {
                while let Some(work) = queue.pop() {
                    // Tasks catch their own panics; this protects the thread from other jobs.
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| work.run()));
                }
            });
        match spawned {
            Ok(handle) => {
                threads.push(handle);
                self.started.store(index + 1, Ordering::Release);
            }
            Err(error) => log::error!("traits-futures: cannot start a worker thread: {error}"),
        }
    }
}

impl ThreadPool {
    /// Queues an executor's task (dropped, and so ended, if the pool is shut down).
    pub(crate) fn execute_task(&self, task: QueuedTask) -> Result<(), PoolClosed> {
        self.queue(Work::Task(task))
    }

    fn queue(&self, work: Work) -> Result<(), PoolClosed> {
        self.queue.push(work).map_err(|_| PoolClosed)?;
        if self.started.load(Ordering::Acquire) < self.size {
            self.start_thread();
        }
        Ok(())
    }
}

impl WorkerPool for ThreadPool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        self.queue(Work::Job(job))
    }
}

impl<P: WorkerPool + ?Sized> WorkerPool for Arc<P> {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        (**self).execute(job)
    }
}

impl Drop for ThreadPool {
    /// Closes the job queue without joining: idle threads exit at once, busy ones after their
    /// current job. Call [`shutdown`](ThreadPool::shutdown) first to wait for them.
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("started", &self.started_threads())
            .finish()
    }
}
