//! [`ProcessPool`]: a bounded pool of child processes, started lazily and reused, and the
//! lease through which a task holds one.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::pool::queued_task::QueuedTask;
use crate::pool::thread_pool::ThreadPool;
use crate::pool::worker_pool::PoolClosed;
use crate::process::error::ProcessError;
use crate::process::worker::{Killer, Launch, Worker};
use crate::routing::background_task::TaskContext;

/// A pool of child processes that run registered tasks: the process context. Children start
/// when tasks need them (an idle one is reused first), at most `max_workers` at once; a child
/// that crashes is replaced by a new one for the next task.
///
/// Submit tasks to it with [`submit_process_call`](crate::process::submit_process_call),
/// [`submit_process_iteration`](crate::process::submit_process_iteration) and
/// [`submit_process_progress`](crate::process::submit_process_progress): their futures are the
/// same as a thread's, driven by the same executor. Each running task has a relay thread of
/// the pool's that talks to its child; a task waits `Waiting` in the pool's queue until a
/// child is free for it, as a thread task waits for a thread. Clones share the pool; any
/// number of executors may use it.
///
/// When the last clone is dropped, or [`shutdown`](Self::shutdown) is called, every child is
/// ended at once (a running task's future fails with [`ProcessError::PoolClosed`], unless it
/// was cancelled). A child whose parent dies, even by `SIGKILL`, ends by itself: its input
/// pipe closes.
///
/// ```
/// use std::time::Duration;
/// use traits_futures::process::ProcessPool;
/// let pool = ProcessPool::builder()
///     .max_workers(2)
///     .grace(Duration::from_millis(500))
///     .build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct ProcessPool {
    owner: Arc<Owner>,
}

/// Ends the pool when the last user handle goes (the tasks' relays keep only the shared part).
struct Owner {
    shared: Arc<PoolShared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// What the pool's handles and the relays of its tasks share.
pub(crate) struct PoolShared {
    launch: Launch,
    max_workers: usize,
    grace: Duration,
    start_timeout: Duration,
    state: Mutex<PoolState>,
    /// The threads that relay tasks to children, one per child at most: a task waits in their
    /// queue (its future `Waiting`) until a child can take it, as a thread task waits for a
    /// thread.
    relays: ThreadPool,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Worker>,
    /// Children leased to tasks, and leases that are starting one.
    leased: usize,
    /// The leased children, by process id, to kill at shutdown.
    busy: Vec<(u32, Killer)>,
    closed: bool,
    /// Relays waiting for a child.
    waiters: Vec<Thread>,
}

/// Configures a [`ProcessPool`].
///
/// ```
/// let pool = traits_futures::process::ProcessPool::builder().max_workers(1).build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "call build() to make the pool"]
pub struct ProcessPoolBuilder {
    max_workers: usize,
    grace: Duration,
    start_timeout: Duration,
    program: Option<PathBuf>,
    args: Vec<OsString>,
}

impl ProcessPool {
    /// The grace period when none is set: how long a cancelled task may take to stop by
    /// itself before its process is ended.
    pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

    /// How long a new child may take to greet (to reach [`init`](crate::process::init)) when
    /// no start timeout is set.
    pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

    /// A builder: one child per available CPU, [`DEFAULT_GRACE`](Self::DEFAULT_GRACE), the
    /// current executable.
    ///
    /// ```
    /// let pool = traits_futures::process::ProcessPool::builder().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder {
            max_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            grace: Self::DEFAULT_GRACE,
            start_timeout: Self::DEFAULT_START_TIMEOUT,
            program: None,
            args: Vec::new(),
        }
    }

    /// Ends every child now, refuses new tasks (submitting returns
    /// [`SubmitError::PoolClosed`](crate::SubmitError::PoolClosed)), and waits for the relay
    /// threads: a running task's future fails with [`ProcessError::PoolClosed`], a queued
    /// task's relay ends the same way without starting a child. Dropping the last clone does
    /// the same without waiting for the relay threads, which end by themselves.
    ///
    /// Do not call it while a future of the pool is suspended: its relay waits for the resume.
    ///
    /// ```
    /// let pool = traits_futures::process::ProcessPool::builder().build()?;
    /// pool.shutdown();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.owner.shared.shutdown();
    }

    /// How many child processes are running now (idle or busy).
    ///
    /// ```
    /// let pool = traits_futures::process::ProcessPool::builder().build()?;
    /// assert_eq!(pool.children(), 0); // none until a task needs one
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn children(&self) -> usize {
        let state = self.owner.shared.lock();
        state.idle.len() + state.leased
    }

    pub(crate) fn shared(&self) -> &Arc<PoolShared> {
        &self.owner.shared
    }
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("program", &self.owner.shared.launch.program)
            .field("max_workers", &self.owner.shared.max_workers)
            .field("grace", &self.owner.shared.grace)
            .finish()
    }
}

impl ProcessPoolBuilder {
    /// At most this many child processes at once (at least 1, at most
    /// [`ThreadPool::MAX_SIZE`](crate::ThreadPool::MAX_SIZE), 512: each running task has a
    /// relay thread).
    ///
    /// ```
    /// let pool = traits_futures::process::ProcessPool::builder().max_workers(4).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.max_workers = workers.clamp(1, ThreadPool::MAX_SIZE);
        self
    }

    /// How long a cancelled task may take to stop by itself (through
    /// [`ChildContext::send`](crate::process::ChildContext::send) or
    /// [`cancelled`](crate::process::ChildContext::cancelled)) before its process is killed.
    /// Either way the future ends `Cancelled`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = traits_futures::process::ProcessPool::builder().grace(Duration::from_millis(200)).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// How long a new child may take to greet its parent (to reach
    /// [`init`](crate::process::init)) before it is ended and its task fails with
    /// [`ProcessError::Spawn`]: a program whose `main` does not call `init` never greets.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = traits_futures::process::ProcessPool::builder().start_timeout(Duration::from_secs(30)).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Starts children as `program` with `args`, instead of the current executable without
    /// arguments. The program must call [`init`](crate::process::init) with the tasks before
    /// anything else. A test harness re-executes itself this way, with the arguments that
    /// select the one test that calls `init` (see the guide's chapter on contexts).
    ///
    /// ```
    /// let test_binary = std::env::current_exe()?;
    /// let pool = traits_futures::process::ProcessPool::builder()
    ///     .program(test_binary, ["child_entry_point", "--exact", "--nocapture"])
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn program<A: Into<OsString>>(
        mut self,
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = A>,
    ) -> Self {
        self.program = Some(program.into());
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Builds the pool; no child starts until a task needs one. Fails only if no program was
    /// given and the current executable cannot be found.
    ///
    /// ```
    /// let pool = traits_futures::process::ProcessPool::builder().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> std::io::Result<ProcessPool> {
        let program = match self.program {
            Some(program) => program,
            None => std::env::current_exe()?,
        };
        Ok(ProcessPool {
            owner: Arc::new(Owner {
                shared: Arc::new(PoolShared {
                    launch: Launch {
                        program,
                        args: self.args,
                    },
                    max_workers: self.max_workers,
                    grace: self.grace,
                    start_timeout: self.start_timeout,
                    state: Mutex::default(),
                    relays: ThreadPool::new(self.max_workers),
                }),
            }),
        })
    }
}

impl PoolShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn grace(&self) -> Duration {
        self.grace
    }

    pub(crate) fn start_timeout(&self) -> Duration {
        self.start_timeout
    }

    /// A child for a task: an idle one, a new one if fewer than `max_workers` run, or, after
    /// waiting for one to come back, either; `Err` if the task is cancelled meanwhile (then
    /// `ProcessError::Cancelled`), the pool is closed, or no child could be started.
    pub(crate) fn checkout<M, E>(
        self: &Arc<Self>,
        context: &TaskContext<'_, M>,
    ) -> Result<Lease, ProcessError<E>> {
        let mut taken: Option<Result<Option<Worker>, ProcessError<E>>> = None;
        let waited = context.park_while(&mut || {
            let mut state = self.lock();
            if state.closed {
                taken = Some(Err(ProcessError::PoolClosed));
            } else if let Some(worker) = state.idle.pop() {
                state.leased += 1;
                taken = Some(Ok(Some(worker)));
            } else if state.leased < self.max_workers {
                state.leased += 1;
                taken = Some(Ok(None));
            } else {
                state.waiters.push(thread::current());
                return true;
            }
            false
        });
        if waited.is_err() {
            return Err(ProcessError::Cancelled);
        }
        let worker = match taken.expect("the wait ended with a child, a permit or an error")? {
            Some(worker) => worker,
            None => match Worker::spawn(&self.launch) {
                Ok(worker) => worker,
                Err(e) => {
                    self.give_back(None);
                    let program = self.launch.program.display();
                    return Err(ProcessError::Spawn(format!("{program}: {e}")));
                }
            },
        };
        let pid = worker.id();
        {
            let mut state = self.lock();
            if state.closed {
                drop(state);
                worker.kill();
                self.give_back(None);
                return Err(ProcessError::PoolClosed);
            }
            state.busy.push((pid, worker.killer()));
        }
        Ok(Lease {
            pool: Arc::clone(self),
            pid,
            worker: Some(worker),
        })
    }

    /// Queues a task's relay on the pool's relay threads.
    pub(crate) fn execute(&self, task: QueuedTask) -> Result<(), PoolClosed> {
        if self.is_closed() {
            return Err(PoolClosed);
        }
        self.relays.execute_task(task)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Takes back the child of the lease of `pid` (`None`: it ended), and wakes the relays
    /// that wait for one.
    fn give_back_leased(&self, pid: u32, worker: Option<Worker>) {
        self.lock().busy.retain(|(busy, _)| *busy != pid);
        self.give_back(worker);
    }

    /// Takes back a leased child (`None`: it ended), and wakes the relays that wait for one.
    fn give_back(&self, worker: Option<Worker>) {
        let (to_end, waiters) = {
            let mut state = self.lock();
            state.leased -= 1;
            let to_end = match worker {
                Some(worker) if !state.closed => {
                    state.idle.push(worker);
                    None
                }
                other => other,
            };
            (to_end, std::mem::take(&mut state.waiters))
        };
        for waiter in waiters {
            waiter.unpark();
        }
        if let Some(worker) = to_end {
            worker.kill();
        }
    }

    /// Closes the pool and kills every child: idle ones are reaped here, busy ones by their
    /// relays, whose futures fail with `PoolClosed`. The relay threads end after their current
    /// task; [`shutdown`](Self::shutdown) also waits for them.
    fn close(&self) {
        let (idle, busy, waiters) = {
            let mut state = self.lock();
            state.closed = true;
            (
                std::mem::take(&mut state.idle),
                state.busy.clone(),
                std::mem::take(&mut state.waiters),
            )
        };
        for waiter in waiters {
            waiter.unpark();
        }
        for (_, killer) in busy {
            killer.kill();
        }
        for worker in idle {
            worker.kill();
        }
    }

    /// [`close`](Self::close), then joins the relay threads.
    pub(crate) fn shutdown(&self) {
        self.close();
        self.relays.shutdown();
    }
}

/// A child leased to one task. Given back healthy ([`release`](Self::release)) it serves the
/// next task; dropped otherwise, it is ended.
pub(crate) struct Lease {
    pool: Arc<PoolShared>,
    pid: u32,
    worker: Option<Worker>,
}

impl Lease {
    pub(crate) fn worker(&mut self) -> &mut Worker {
        self.worker
            .as_mut()
            .expect("a lease holds its child until it ends")
    }

    /// Gives the child back for the next task.
    pub(crate) fn release(mut self) {
        let worker = self.worker.take();
        self.pool.give_back_leased(self.pid, worker);
    }

    /// Takes the child out of the pool for good (it ended, or is to be ended by the caller).
    pub(crate) fn take(mut self) -> Worker {
        let worker = self
            .worker
            .take()
            .expect("a lease holds its child until it ends");
        self.pool.give_back_leased(self.pid, None);
        worker
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.kill();
            self.pool.give_back_leased(self.pid, None);
        }
    }
}
