//! [`TraitsExecutor`]: submits tasks, routes their messages, and runs the executor's lifecycle.

use std::cell::{Cell, OnceCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Duration;

use traits_core::{Dependency, Derived, Observable, ObservableVec};

use crate::error::{drop_caught, RunTimeout, ShutdownError, StopError, SubmitError};
use crate::executor::builder::{default_workers, ExecutorBuilder, PoolChoice};
use crate::executor::live_futures::{LiveFuture, LiveFutures};
use crate::future::spec::TaskSpec;
use crate::future::task_future::{ErasedFuture, TaskFuture};
use crate::pool::queued_task::QueuedTask;
use crate::pool::worker_pool::PoolClosed;
use crate::routing::announcements::DEFAULT_WARN_AFTER;
use crate::routing::pipe::PipeShared;
use crate::routing::router::{HookId, Router, WakeHook};
use crate::routing::runner::TaskCell;
use crate::state::ExecutorState;

mod deadline;
mod event_loops;
mod lifecycle;

use deadline::Deadlines;

/// Runs tasks on background workers and hands back futures that change only on this thread.
///
/// The executor is a main-thread object: it and its futures are `!Send`, so the compiler
/// rejects any attempt to submit, cancel or observe from another thread:
///
/// ```compile_fail
/// let executor = traits_futures::TraitsExecutor::new();
/// std::thread::spawn(move || executor.stop()); // `TraitsExecutor` is not `Send`
/// ```
///
/// ```compile_fail
/// let executor = traits_futures::TraitsExecutor::new();
/// let future = traits_futures::submit_call(&executor, || 1).unwrap();
/// std::thread::spawn(move || future.cancel()); // futures are not `Send` either
/// ```
///
/// Messages from tasks are dispatched to their futures only when this thread runs the event
/// loop: [`run_until`](Self::run_until) and [`dispatch_pending`](Self::dispatch_pending) here
/// (the headless loop), or one of the GUI integrations.
///
/// # Lifecycle
/// `Running` → [`stop`](Self::stop) (every future is cancelled) → `Stopping` → `Stopped` once
/// every task has ended and the owned pool's threads are joined. [`shutdown`](Self::shutdown)
/// stops and waits, dispatching on the calling thread. Dropping an executor that is not
/// `Stopped` cancels its tasks and closes its pool without waiting (and logs a warning).
///
/// # Dropped without `shutdown`
/// Its futures still end: none stays `Cancelling` for ever. The drop cancels every future (as
/// `stop` does), takes back every task that no worker has started (it never runs, and its
/// future is `Cancelled` before the drop returns), and applies whatever the other tasks have
/// already sent. A future whose task is still running stays `Cancelling` until that task ends;
/// with no event loop left to dispatch its last message, the future then delivers it to itself
/// the next time its state is read (`state()`, `done()` or `cancellable()` and their `get`,
/// `result()`, `error()`), and its observers, `done`'s included, run inside that read. So a UI
/// that reads its futures (a redraw, a timer) settles; one that only waits for an observer
/// must read the future once the task can have ended, or call `shutdown` before dropping the
/// executor, which is what the warning says. Observers that run inside the drop and panic are
/// logged, not resumed (a panic cannot leave a `Drop`); one that panics inside a read resumes
/// out of that read.
///
/// # Panics in user code
/// Observers (and the `Drop` of values discarded on the main thread) run inside the call that
/// dispatches, and their panic resumes out of it once the executor's bookkeeping is done (see
/// the crate's "Threads" section). Everything else the library runs or drops for you is
/// caught: a task's panic fails its future, and a panic in the `Drop` of a task, of its panic
/// payload or of its unread result ends the future anyway, as [`BackgroundTask`] lists; no
/// worker thread dies, and `stop` and `shutdown` complete.
///
/// [`BackgroundTask`]: crate::BackgroundTask
///
/// `TraitsExecutor` is a cheap handle: [`Clone`] it into button callbacks and async blocks; the
/// executor lives until its last handle (or running [`Dispatcher`](crate::Dispatcher)) is dropped.
///
/// ```
/// use traits_futures::{submit_call, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 2u64.pow(3))?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.state().get(), FutureState::Completed);
/// assert_eq!(future.result(), Ok(&8));
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TraitsExecutor {
    inner: Rc<Inner>,
}

pub(crate) struct Inner {
    state: Observable<ExecutorState>,
    running: Derived<bool>,
    stopped: Derived<bool>,
    /// Created with the first task (e80).
    pub(crate) router: OnceCell<Router>,
    pool: PoolChoice,
    /// Set when `stop()` begins, before it cancels the futures: from then on submits (and
    /// another `stop()`) are refused, though the state stays `Running` until every future has
    /// been cancelled.
    stopping: Cell<bool>,
    /// The notify integration's wake callback, among the router's wake hooks.
    wake_callback: Cell<Option<HookId>>,
    /// How many `Dispatcher`s are registered (a second one is logged).
    pub(crate) dispatchers: Cell<usize>,
    /// How long messages may wait undispatched before the router warns (`None`: never).
    warn_undispatched_after: Cell<Option<Duration>>,
    /// Armed deadlines and their timer thread (`deadline.rs`).
    pub(crate) deadlines: Deadlines,
    /// The live futures' list, made by the first `live_futures()`.
    live: OnceCell<LiveFutures>,
}

impl TraitsExecutor {
    /// An executor with an owned pool of one worker per available CPU.
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// assert!(executor.running().get());
    /// # executor.shutdown(None).unwrap();
    /// ```
    pub fn new() -> Self {
        TraitsExecutor::with_pool(PoolChoice::owned(default_workers()))
    }

    /// Configures the worker pool; see [`ExecutorBuilder`].
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::builder().max_workers(2).build()?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }

    pub(crate) fn with_pool(pool: PoolChoice) -> Self {
        let state = Observable::new(ExecutorState::Running);
        let derive = |wanted: ExecutorState| {
            let source = state.clone();
            Derived::new(&[&state as &dyn Dependency], move || source.get() == wanted)
        };
        TraitsExecutor {
            inner: Rc::new(Inner {
                running: derive(ExecutorState::Running),
                stopped: derive(ExecutorState::Stopped),
                state,
                router: OnceCell::new(),
                pool,
                stopping: Cell::new(false),
                wake_callback: Cell::new(None),
                dispatchers: Cell::new(0),
                warn_undispatched_after: Cell::new(Some(DEFAULT_WARN_AFTER)),
                deadlines: Deadlines::default(),
                live: OnceCell::new(),
            }),
        }
    }

    /// The executor's state.
    ///
    /// ```
    /// use traits_futures::{ExecutorState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// assert_eq!(executor.state().get(), ExecutorState::Running);
    /// executor.shutdown(None)?;
    /// assert_eq!(executor.state().get(), ExecutorState::Stopped);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> &Observable<ExecutorState> {
        &self.inner.state
    }

    /// True while the executor is `Running` (accepting tasks).
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// executor.stop()?;
    /// assert!(!executor.running().get());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn running(&self) -> &Derived<bool> {
        &self.inner.running
    }

    /// True once the executor is `Stopped`.
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// executor.shutdown(None)?;
    /// assert!(executor.stopped().get());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stopped(&self) -> &Derived<bool> {
        &self.inner.stopped
    }

    /// The number of submitted tasks whose futures are not yet done.
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// assert_eq!(executor.running_tasks(), 0);
    /// ```
    pub fn running_tasks(&self) -> usize {
        self.inner.running_tasks()
    }

    /// Submits a task specification and returns its future, `Waiting`.
    ///
    /// The future's state does not change until this thread dispatches the task's messages, even
    /// if the task finishes at once: some event loop must run on this thread (see the guide's
    /// event-loop chapter; if none does, a warning is logged once messages have waited for a few
    /// seconds, see [`ExecutorBuilder::undispatched_warning`]). Dropping the future does not
    /// cancel the task: it runs to its end; keep the future to [`cancel`](TaskFuture::cancel)
    /// it. Refused, and the task dropped unrun, unless the executor is `Running`
    /// ([`SubmitError::NotRunning`]) or if a shared pool has been shut down
    /// ([`SubmitError::PoolClosed`]); a panic of the refused task's `Drop` is caught and logged,
    /// and `submit` returns the error. The built-in task types have friendlier functions:
    /// [`submit_call`](crate::submit_call), [`submit_iteration`](crate::submit_iteration),
    /// [`submit_progress`](crate::submit_progress).
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use traits_futures::{BackgroundTask, CallHandler, TaskContext, TraitsExecutor};
    ///
    /// struct Answer;
    /// impl BackgroundTask for Answer {
    ///     type Message = Infallible; type Output = u32; type Error = Infallible;
    ///     fn run(self, _: &TaskContext<'_, Infallible>) -> Result<u32, Infallible> { Ok(42) }
    /// }
    ///
    /// let executor = TraitsExecutor::new();
    /// let future = executor.submit((CallHandler::default(), Answer))?;
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.result(), Ok(&42));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Panics
    /// If a custom [`WorkerPool`](crate::WorkerPool)'s `execute` panics, that panic resumes
    /// out of `submit`, after the task is cancelled (a worker that takes it later drops it
    /// unrun) and forgotten by the executor, which has no future to hand back. Also panics if
    /// 16 777 214 futures of one executor are alive at once.
    pub fn submit<S: TaskSpec>(&self, spec: S) -> Result<TaskFuture<S::Handler>, SubmitError> {
        if let Err(state) = self.inner.accepting() {
            discard("a task refused by a stopped executor", spec);
            return Err(SubmitError::NotRunning(state));
        }
        let (handler, task) = spec.into_parts();
        let router = self.router();
        let mut made = None;
        let key = router.insert(|key| {
            let cell: Arc<TaskCell<_>> = Arc::new(PipeShared::with_task(
                task,
                key,
                Arc::clone(router.shared()),
            ));
            let future = TaskFuture::with_pipe(handler, cell.clone());
            let target = future.pipe_target();
            made = Some((future, QueuedTask::new(cell)));
            target
        });
        let (future, queued) = made.expect("insert calls its closure");
        match panic::catch_unwind(AssertUnwindSafe(|| self.inner.pool.execute(queued))) {
            Ok(Ok(())) => {
                if let Some(live) = self.inner.live.get() {
                    live.track(future.erased());
                }
                Ok(future)
            }
            Ok(Err(PoolClosed)) => {
                // The pool dropped the task unrun (a panic of its `Drop` was caught there), and
                // so queued an ending for its future; forget the pipe instead, since the caller
                // gets an error.
                router.remove(key);
                discard("a future refused by its pool", future);
                Err(SubmitError::PoolClosed)
            }
            Err(panic) => {
                // A custom pool's `execute` panicked, with the task queued or not: cancel it
                // (a worker that takes it drops it unrun), forget the pipe, and let the pool's
                // panic go on, as documented.
                future.cancel();
                router.remove(key);
                discard("a future refused by its pool", future);
                panic::resume_unwind(panic)
            }
        }
    }

    pub(crate) fn router(&self) -> &Router {
        self.inner.router()
    }

    /// The futures of this executor that are not done, as an observable list, for a
    /// task-manager panel: an entry ([`LiveFuture`]: state, progress, cancel) is appended when
    /// a task is submitted and removed when its future reaches a final state (`Completed`,
    /// `Failed` or `Cancelled`), inside the dispatch that ends it.
    ///
    /// The list is made on the first call, with the futures already running (in no particular
    /// order), and every call returns it; until then the executor keeps no list, so code that
    /// never asks pays nothing. Observe it for each change, or bind
    /// [`signal_vec`](ObservableVec::signal_vec) to a list widget. It lists the futures of
    /// `submit` and the functions and submitters built on it, not detached futures (groups,
    /// chains). The list is the executor's to change: changing it yourself only confuses the
    /// panel.
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// let _panel = live.observe(|change| println!("task list: {change:?}"));
    /// let future = submit_call(&executor, || 1 + 1)?;
    /// assert_eq!(live.len(), 1);
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(live.len(), 0);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn live_futures(&self) -> ObservableVec<LiveFuture> {
        self.inner
            .live
            .get_or_init(|| {
                let running = self
                    .inner
                    .router
                    .get()
                    .map(Router::tasks)
                    .unwrap_or_default();
                LiveFutures::new(running.into_iter().filter_map(|target| {
                    let view = target.future_view()?;
                    view.downcast::<Rc<dyn ErasedFuture>>()
                        .ok()
                        .map(|view| *view)
                }))
            })
            .list()
    }

    /// Whether `submit` would accept a task now (`Running`, and no `stop()` begun).
    pub(crate) fn accepts_tasks(&self) -> bool {
        self.inner.accepting().is_ok()
    }

    /// A handle that does not keep the executor alive (for what the executor itself holds).
    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Rc::downgrade(&self.inner)
    }

    /// The executor of a [`downgrade`](Self::downgrade)d handle, if it is still alive.
    pub(crate) fn upgrade(weak: &Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| TraitsExecutor { inner })
    }

    /// The builder's [`undispatched_warning`](ExecutorBuilder::undispatched_warning), set
    /// before any task (the router is made with the first).
    pub(crate) fn set_undispatched_warning(&self, after: Option<Duration>) {
        self.inner.warn_undispatched_after.set(after);
    }

    /// Begins stopping: every future is cancelled, then the executor is `Stopping`, both before
    /// this returns; `Stopped` when every task has ended (as their messages are dispatched).
    /// Does not block.
    ///
    /// The order is the original's: observers of `Stopping` (and of `running`) see every future
    /// already cancelled, so they may call [`shutdown`](Self::shutdown). Observers of the
    /// cancellations run while the state is still `Running`, but the executor already refuses
    /// work: `submit` returns `SubmitError::NotRunning(Stopping)` and `stop` returns
    /// `StopError::NotRunning(Stopping)`; `shutdown` from there finishes the stop itself. If an
    /// observer panics, every future is still cancelled and the state still moves on before the
    /// first panic resumes out of this call.
    ///
    /// ```
    /// use traits_futures::{ExecutorState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// executor.stop()?;
    /// // with no tasks, stopping completes at once
    /// assert_eq!(executor.state().get(), ExecutorState::Stopped);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&self) -> Result<(), StopError> {
        self.inner.accepting().map_err(StopError::NotRunning)?;
        self.inner.stopping.set(true);
        self.inner.finish_stop();
        Ok(())
    }

    /// Stops (if running) and blocks, dispatching messages on this thread, until `Stopped`.
    ///
    /// With `Some(timeout)`, gives up after it with [`ShutdownError::Timeout`], leaving the
    /// executor `Stopping`; call `shutdown` again later. On a `Stopped` executor it does nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_call(&executor, || 1)?;
    /// executor.shutdown(Some(Duration::from_secs(10)))?;
    /// assert_eq!(future.state().get(), FutureState::Cancelled);
    /// executor.shutdown(None)?; // already stopped: nothing to do
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ShutdownError> {
        if self.inner.state.get() == ExecutorState::Running {
            if self.inner.stopping.get() {
                // From an observer of a cancellation, inside `stop()`: finish the stop here
                // (the outer call then finds nothing left to do).
                self.inner.finish_stop();
            } else {
                self.stop().expect("a running executor can always stop");
            }
        }
        let stopped = || self.inner.state.get() == ExecutorState::Stopped;
        self.run_until(stopped, timeout)
            .map_err(|RunTimeout { timeout }| ShutdownError::Timeout {
                timeout,
                running: self.running_tasks(),
            })
    }
}

impl Inner {
    fn router(&self) -> &Router {
        self.router.get_or_init(|| {
            let router = Router::new(None);
            router
                .shared()
                .warn_undispatched_after(self.warn_undispatched_after.get());
            router
        })
    }

    fn running_tasks(&self) -> usize {
        self.router.get().map_or(0, Router::live)
    }

    /// Registers a way to wake the event loop (creating the router); `None`, and `hook`
    /// dropped, once `Stopped`: nothing will need a wake again.
    pub(crate) fn add_wake_hook(&self, hook: WakeHook) -> Option<HookId> {
        if self.is_stopped() {
            return None;
        }
        self.router().add_wake_hook(hook)
    }

    pub(crate) fn remove_wake_hook(&self, hook: HookId) {
        if let Some(router) = self.router.get() {
            router.shared().remove_wake_hook(hook);
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.state.get() == ExecutorState::Stopped
    }
}

/// Drops what a refused submit is left with (the task, or a future nobody will see): the
/// refusal is reported as an error, so a panic of its `Drop` (user code) is caught and logged
/// rather than unwinding out of `submit`.
fn discard<T>(what: &str, value: T) {
    if let Some(panic) = drop_caught(value) {
        log::warn!("traits-futures: dropping {what} panicked: {panic}");
    }
}

impl Default for TraitsExecutor {
    fn default() -> Self {
        TraitsExecutor::new()
    }
}

impl fmt::Debug for TraitsExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraitsExecutor")
            .field("state", &self.inner.state.get())
            .field("running_tasks", &self.running_tasks())
            .finish()
    }
}
