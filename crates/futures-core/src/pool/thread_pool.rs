//! [`ThreadPool`]: the built-in worker pool, named threads on one [`JobQueue`].
//!
//! Threads start as they are needed, not one per job: a job starts a thread only when no
//! started thread is idle (see [`Shared::idle`]), so a program that submits one call at a time
//! keeps one thread, however large the pool.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crossbeam_utils::CachePadded;

use crate::error::panic_message;
use crate::pool::job_queue::JobQueue;
use crate::pool::queued_task::{QueuedTask, Runnable};
use crate::pool::worker_pool::{Job, PoolClosed, WorkerPool};

/// A pool of named worker threads fed by one job queue, of at most a fixed size.
///
/// Threads start lazily: a job starts one only when every thread started so far is busy and
/// the pool is not at its size, so idle workers are reused (64 calls submitted one after the
/// other run on one thread). A panicking job does not kill its thread.
/// [`shutdown`](Self::shutdown) lets queued jobs finish, then joins every thread; dropping the
/// pool closes the queue without waiting.
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
    shared: Arc<Shared>,
}

/// What the pool's handle and its workers share: a worker starts a thread too, when it finds
/// jobs waiting that a push did not start one for (see [`Shared::grow_if_behind`]).
struct Shared {
    size: usize,
    name: String,
    queue: JobQueue<QueuedTask>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Threads started so far: read by every push until the pool reaches its size, written
    /// under `threads`' lock.
    started: AtomicUsize,
    /// Started threads that are waiting for a job (napping or asleep in `JobQueue::pop`), or
    /// about to. Written by workers each time they run out of jobs and find one again, so on a
    /// line of its own; read by a push only while the pool is below its size.
    ///
    /// The handshake: a push queues its job (a `SeqCst` write, `overflow_ring.rs`), then reads
    /// `idle` (`SeqCst`) and starts a thread if it is zero; a worker that finds a job after
    /// waiting decrements `idle` (`SeqCst`), then looks at the queue. Store-buffering pairs, so
    /// either the push sees the decrement or the worker sees the job: a job that a push left to
    /// an idle worker which then took another job is never left without a thread start.
    idle: CachePadded<AtomicUsize>,
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
    /// The largest size a pool takes: 512 threads, like tokio's blocking pool. Larger sizes,
    /// `usize::MAX` included, are capped to it (and the cap is logged at `warn`);
    /// [`ExecutorBuilder::max_workers`](crate::ExecutorBuilder::max_workers) refuses them with
    /// [`BuildError::TooManyWorkers`](crate::BuildError::TooManyWorkers).
    ///
    /// ```
    /// assert_eq!(traits_futures::ThreadPool::MAX_SIZE, 512);
    /// ```
    pub const MAX_SIZE: usize = 512;

    /// Creates a pool of at most `size` threads: at least one, and at most
    /// [`MAX_SIZE`](Self::MAX_SIZE) (a larger `size` is capped, with a warning in the log). No
    /// thread starts until a job arrives, and a job starts one only if no started thread is
    /// idle.
    ///
    /// ```
    /// use traits_futures::ThreadPool;
    /// let pool = ThreadPool::new(4);
    /// assert_eq!(pool.size(), 4);
    /// assert_eq!(pool.started_threads(), 0);
    /// assert_eq!(ThreadPool::new(usize::MAX).size(), ThreadPool::MAX_SIZE);
    /// ```
    pub fn new(size: usize) -> Self {
        if size > Self::MAX_SIZE {
            log::warn!(
                "traits-futures: a thread pool of {size} threads was asked for; capped to {}",
                Self::MAX_SIZE
            );
        }
        ThreadPool {
            shared: Arc::new(Shared {
                size: size.clamp(1, Self::MAX_SIZE),
                name: format!("tf-pool{}", POOL_IDS.fetch_add(1, Ordering::Relaxed)),
                queue: JobQueue::new(),
                threads: Mutex::new(Vec::new()),
                started: AtomicUsize::new(0),
                idle: CachePadded::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// The maximum number of threads.
    ///
    /// ```
    /// assert_eq!(traits_futures::ThreadPool::new(0).size(), 1);
    /// ```
    pub fn size(&self) -> usize {
        self.shared.size
    }

    /// How many threads have been started so far (they are joined at shutdown).
    ///
    /// ```
    /// let pool = traits_futures::ThreadPool::new(3);
    /// assert_eq!(pool.started_threads(), 0);
    /// ```
    pub fn started_threads(&self) -> usize {
        self.shared.started.load(Ordering::Acquire)
    }

    /// How many started threads are waiting for a job at this moment (a snapshot: a thread
    /// counts from the moment it finds no job until it has taken the next one).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use traits_futures::{ThreadPool, WorkerPool};
    /// let pool = ThreadPool::new(4);
    /// let (done, finished) = mpsc::channel();
    /// pool.execute(Box::new(move || done.send(()).unwrap()))?;
    /// finished.recv()?;
    /// while pool.idle_threads() == 0 { std::thread::yield_now(); } // back to waiting
    /// assert_eq!((pool.started_threads(), pool.idle_threads()), (1, 1));
    /// # pool.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn idle_threads(&self) -> usize {
        self.shared.idle.load(Ordering::Acquire)
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
        let shared = &self.shared;
        shared.queue.close();
        let threads =
            std::mem::take(&mut *shared.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            if thread.thread().id() == thread::current().id() {
                continue;
            }
            let _ = thread.join();
        }
    }
}

impl Shared {
    /// Starts a thread, unless the pool is at its size, or `unless_closed` and the queue is
    /// closed. (A push that was accepted starts one even if the queue has closed since, so
    /// that its job is handed out; a worker starts none once closing began, and looks under
    /// the lock that `shutdown` takes the threads under after closing, so every thread it
    /// starts is joined.)
    fn start_thread(self: &Arc<Self>, unless_closed: bool) {
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        let index = self.started.load(Ordering::Acquire);
        if index >= self.size || (unless_closed && self.queue.is_closed()) {
            return;
        }
        let shared = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(format!("{}-w{index}", self.name))
            .spawn(move || shared.work());
        match spawned {
            Ok(handle) => {
                threads.push(handle);
                self.started.store(index + 1, Ordering::Release);
            }
            Err(error) => log::error!("traits-futures: cannot start a worker thread: {error}"),
        }
    }

    /// A worker thread's loop: take jobs until the queue is closed and drained.
    fn work(self: &Arc<Self>) {
        // A new thread was started for one job; if more wait, it may start the next thread.
        let mut look_for_backlog = true;
        loop {
            let task = match self.queue.try_pop() {
                Some(task) => task,
                None => {
                    self.idle.fetch_add(1, Ordering::SeqCst);
                    let task = self.queue.pop();
                    self.idle.fetch_sub(1, Ordering::SeqCst);
                    // Pushes meanwhile counted on this thread: if it takes one job and others
                    // wait, nobody started a thread for them yet.
                    look_for_backlog = true;
                    match task {
                        Some(task) => task,
                        None => return,
                    }
                }
            };
            if look_for_backlog {
                look_for_backlog = false;
                self.grow_if_behind();
            }
            // `run` catches every panic of user code itself (`queued_task.rs`); this only keeps
            // the thread alive should that ever change, and drops the payload safely.
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| task.run())) {
                let _ = panic_message(payload);
            }
        }
    }

    /// Called by a worker that has just taken a job after waiting, or its first: if jobs are
    /// still queued, no thread is idle and the pool is below its size, starts a thread for
    /// them. Pushes that saw this worker idle left their jobs to it; it can take only one.
    fn grow_if_behind(self: &Arc<Self>) {
        if self.started.load(Ordering::Acquire) < self.size
            && self.idle.load(Ordering::SeqCst) == 0
            && !self.queue.is_empty()
        {
            self.start_thread(true);
        }
    }
}

impl ThreadPool {
    /// Queues an executor's task (dropped, and so ended, if the pool is shut down).
    pub(crate) fn execute_task(&self, task: QueuedTask) -> Result<(), PoolClosed> {
        let shared = &self.shared;
        // A refused task is dropped here, unrun, which ends its future.
        shared.queue.push(task).map_err(|_| PoolClosed)?;
        // A thread only if none is idle (an idle one takes this job). Once the pool is at its
        // size, one load per push, as before; below it, one more (`SeqCst`: the handshake with
        // a worker's decrement, see `Shared::idle`; on x86-64 and AArch64 the same instruction
        // as an acquire load).
        if shared.started.load(Ordering::Acquire) < shared.size
            && shared.idle.load(Ordering::SeqCst) == 0
        {
            shared.start_thread(false);
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
        self.shared.queue.close();
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("name", &self.shared.name)
            .field("size", &self.shared.size)
            .field("started", &self.started_threads())
            .field("idle", &self.idle_threads())
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
