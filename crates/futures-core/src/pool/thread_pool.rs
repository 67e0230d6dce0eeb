//! [`ThreadPool`]: the built-in worker pool, named threads on one [`JobQueue`].

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crate::error::panic_message;
use crate::pool::job_queue::JobQueue;
use crate::pool::queued_task::{QueuedTask, Runnable};
use crate::pool::worker_pool::{Job, PoolClosed, WorkerPool};

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

/// A plain job in the built-in pool's queue: a runnable cell like an executor's task, so that
/// the queue holds one kind of item, a pointer to a cell. An enum of jobs and tasks would make
/// every queued item larger, and a burst of calls queues a great many of them.
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
    /// Creates a pool of at most `size` threads (at least one). No thread starts until a job
    /// arrives.
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
                    // `run` catches every panic of user code itself (`queued_task.rs`); this
                    // only keeps the thread alive should that ever change.
                    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| task.run())) {
                        let _ = panic_message(payload);
                    }
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
    use crate::pool::queued_task::QueuedTask;

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
