//! Worker pools: [`WorkerPool`], the seam any pool fits behind, and [`ThreadPool`], the built-in one.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use thiserror::Error;

use crate::job_queue::JobQueue;
use crate::runner::{QueuedTask, Runnable};

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

    /// The built-in pool behind this one, if it is one: an executor then queues its tasks
    /// directly, without boxing each as a [`Job`]. Other pools keep the default.
    #[doc(hidden)]
    fn as_thread_pool(&self) -> Option<&ThreadPool> {
        None
    }
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
    queue: Arc<JobQueue<QueuedTask>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    started: AtomicUsize,
}

/// A plain job in the built-in pool's queue: a runnable cell like an executor's task, so
/// that the queue holds one kind of item, two words each (an enum of jobs and tasks would take
/// three, and a burst of calls queues a million of them).
struct JobCell(Mutex<Option<Job>>);

impl JobCell {
    fn take(&self) -> Option<Job> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Runnable for JobCell {
    fn run(&self) {
        if let Some(job) = self.take() {
            job();
        }
    }

    fn abandon(&self) {
        drop(self.take());
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
                while let Some(task) = queue.pop() {
                    // Tasks catch their own panics; this protects the thread from other jobs.
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| task.run()));
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
        // A refused task is dropped here, unrun, which ends its future.
        self.queue.push(task).map_err(|_| PoolClosed)?;
        if self.started.load(Ordering::Acquire) < self.size {
            self.start_thread();
        }
        Ok(())
    }
}

impl WorkerPool for ThreadPool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        self.execute_task(QueuedTask::new(Arc::new(JobCell(Mutex::new(Some(job))))))
    }

    fn as_thread_pool(&self) -> Option<&ThreadPool> {
        Some(self)
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

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::{ThreadPool, WorkerPool};
    use crate::runner::QueuedTask;

    #[test]
    fn the_queue_holds_two_words_per_job_or_task() {
        assert_eq!(
            std::mem::size_of::<QueuedTask>(),
            2 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn plain_jobs_run_once_each_in_queue_order_on_one_worker() {
        let pool = ThreadPool::new(1);
        let (sender, ran) = mpsc::channel();
        for i in 0..100 {
            let sender = sender.clone();
            pool.execute(Box::new(move || sender.send(i).unwrap()))
                .unwrap();
        }
        let order: Vec<i32> = (0..100)
            .map(|_| ran.recv_timeout(Duration::from_secs(30)).unwrap())
            .collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
        pool.shutdown();
        assert!(ran.try_recv().is_err(), "no job ran twice");
    }
}
