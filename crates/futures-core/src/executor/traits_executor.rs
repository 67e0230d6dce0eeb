//! [`TraitsExecutor`]: submits tasks, routes their messages, and runs the executor's lifecycle.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use traits_core::{Dependency, Derived, Observable};

use crate::error::{RunTimeout, ShutdownError, StopError, SubmitError};
use crate::executor::builder::{default_workers, ExecutorBuilder, PoolChoice};
use crate::executor::event_loop::Dispatcher;
use crate::future::spec::TaskSpec;
use crate::future::task_future::TaskFuture;
use crate::pool::queued_task::QueuedTask;
use crate::routing::announcements::DEFAULT_WARN_AFTER;
use crate::routing::pipe::PipeShared;
use crate::routing::router::{Router, WakeHook};
use crate::routing::runner::TaskCell;
use crate::state::ExecutorState;

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
/// `Running` → [`stop`](Self::stop) → `Stopping` (every future is cancelled) → `Stopped` once
/// every task has ended and the owned pool's threads are joined. [`shutdown`](Self::shutdown)
/// stops and waits, dispatching on the calling thread. Dropping an executor that is not
/// `Stopped` cancels its tasks and closes its pool without waiting (and logs a warning).
///
/// `TraitsExecutor` is a cheap handle: [`Clone`] it into button callbacks and async blocks; the
/// executor lives until its last handle (or running [`Dispatcher`]) is dropped.
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
    /// How to wake the main thread's event loop (async dispatcher or notify callback).
    wake_hook: RefCell<Option<WakeHook>>,
    /// How long messages may wait undispatched before the router warns (`None`: never).
    warn_undispatched_after: Cell<Option<Duration>>,
}

/// The executor's one state transition function: `None` if the input does not apply.
fn transition(state: ExecutorState, input: ExecutorInput) -> Option<ExecutorState> {
    match (state, input) {
        (ExecutorState::Running, ExecutorInput::Stop) => Some(ExecutorState::Stopping),
        (ExecutorState::Stopping, ExecutorInput::LastTaskEnded) => Some(ExecutorState::Stopped),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug)]
enum ExecutorInput {
    Stop,
    LastTaskEnded,
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
                wake_hook: RefCell::new(None),
                warn_undispatched_after: Cell::new(Some(DEFAULT_WARN_AFTER)),
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
    /// it. Refused, and the task dropped unrun, unless the executor is `Running`. The built-in
    /// task types have friendlier functions:
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
    pub fn submit<S: TaskSpec>(&self, spec: S) -> Result<TaskFuture<S::Handler>, SubmitError> {
        let state = self.inner.state.get();
        if state != ExecutorState::Running {
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
        if self.inner.pool.execute(queued).is_err() {
            // The task was dropped unrun, and so queued an ending for its future; forget the
            // pipe instead, since the caller gets an error.
            router.remove(key);
            return Err(SubmitError::PoolClosed);
        }
        Ok(future)
    }

    fn router(&self) -> &Router {
        self.inner.router()
    }

    /// The builder's [`undispatched_warning`](ExecutorBuilder::undispatched_warning), set
    /// before any task (the router is made with the first).
    pub(crate) fn set_undispatched_warning(&self, after: Option<Duration>) {
        self.inner.warn_undispatched_after.set(after);
    }

    /// Begins stopping: `Stopping` at once, every future cancelled before this returns; `Stopped`
    /// when every task has ended (as their messages are dispatched). Does not block.
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
        let state = self.inner.state.get();
        let next = transition(state, ExecutorInput::Stop).ok_or(StopError::NotRunning(state))?;
        // Observers run during each step; whatever they do, every future is cancelled and the
        // bookkeeping done before the first panic resumes.
        let mut first_panic = panic::catch_unwind(AssertUnwindSafe(|| {
            self.inner.state.set(next);
        }))
        .err();
        if let Some(router) = self.inner.router.get() {
            if let Some(panic) = router.cancel_all() {
                first_panic.get_or_insert(panic);
            }
        }
        if let Err(panic) =
            panic::catch_unwind(AssertUnwindSafe(|| self.inner.complete_stop_if_idle()))
        {
            first_panic.get_or_insert(panic);
        }
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
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
            self.stop().expect("a running executor can always stop");
        }
        let stopped = || self.inner.state.get() == ExecutorState::Stopped;
        self.run_until(stopped, timeout)
            .map_err(|RunTimeout { timeout }| ShutdownError::Timeout {
                timeout,
                running: self.running_tasks(),
            })
    }

    /// Dispatches, on this thread, every message that has already arrived; never blocks.
    /// Returns how many were dispatched.
    ///
    /// This is what a GUI calls when woken (see the event-loop chapter of the guide).
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// assert_eq!(executor.dispatch_pending(), 0);
    /// ```
    pub fn dispatch_pending(&self) -> usize {
        self.inner.dispatch_pending(usize::MAX)
    }

    /// Runs the headless event loop on this thread until `condition` holds.
    ///
    /// The condition is checked first (returning at once if it already holds), then after every
    /// dispatched message. With `Some(timeout)`, one overall deadline applies; messages already
    /// queued when it passes are still dispatched (and the condition checked) before
    /// [`RunTimeout`] is returned. The executor stays usable after a timeout. With `None` and a
    /// condition nothing can make true, this blocks forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_call(&executor, || "hi")?;
    /// executor.run_until(|| future.done().get(), Some(Duration::from_secs(10)))?;
    /// assert!(executor.run_until(|| false, Some(Duration::from_millis(10))).is_err());
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_until(
        &self,
        condition: impl FnMut() -> bool,
        timeout: Option<Duration>,
    ) -> Result<(), RunTimeout> {
        self.inner.run_until(condition, timeout)
    }

    /// Posts a sentinel behind everything the tasks have announced and runs the event loop
    /// until it comes out: everything queued before it has then been dispatched (j121).
    ///
    /// ```
    /// use std::time::Duration;
    /// let executor = traits_futures::TraitsExecutor::new();
    /// executor.exercise_event_loop(Duration::from_secs(5))?;
    /// # Ok::<(), traits_futures::RunTimeout>(())
    /// ```
    pub fn exercise_event_loop(&self, timeout: Duration) -> Result<(), RunTimeout> {
        let router = self.router();
        let target = router.post_sentinel();
        self.run_until(|| router.sentinels_seen() >= target, Some(timeout))
    }

    /// Installs `callback` as the way workers wake this thread's event loop (the *notify*
    /// integration), replacing any previous one (including an async [`Dispatcher`]'s).
    ///
    /// Workers call it at most once per burst of messages: after a call, the next one comes only
    /// once this thread has called [`dispatch_pending`](Self::dispatch_pending) (or another
    /// dispatching method), and a message that arrives after that always causes a new call.
    /// The callback usually runs on a worker thread (and once on this thread, when the executor
    /// reaches `Stopped`): it should only ask the UI to wake (egui's `request_repaint`, a winit
    /// `EventLoopProxy::send_event`, slint's `invoke_from_event_loop`), never dispatch itself.
    ///
    /// ```
    /// use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
    /// use traits_futures::{submit_call, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let wakes = Arc::new(AtomicUsize::new(0));
    /// executor.set_wake_callback({ let wakes = wakes.clone(); move || { wakes.fetch_add(1, Ordering::SeqCst); } });
    /// let future = submit_call(&executor, || 7)?;
    /// while !future.done().get() {
    ///     // a real UI sleeps in its own loop until woken; here we spin on the counter
    ///     if wakes.swap(0, Ordering::SeqCst) > 0 { executor.dispatch_pending(); }
    ///     std::thread::yield_now();
    /// }
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_wake_callback(&self, callback: impl Fn() + Send + Sync + 'static) {
        self.inner.set_wake_hook(Some(Arc::new(callback)));
    }

    /// A future that dispatches this executor's messages whenever it is woken, and ends once
    /// the executor is `Stopped`: the *async* integration. Spawn it on the main thread's
    /// single-threaded executor (glib's `spawn_future_local`, a tokio `LocalSet`,
    /// `futures::executor::LocalPool`); signal listeners spawned there then update the UI.
    ///
    /// Creating it installs its waker as the executor's wake callback (see
    /// [`set_wake_callback`](Self::set_wake_callback)).
    ///
    /// ```
    /// use futures::executor::LocalPool;
    /// use futures::task::LocalSpawnExt;
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::{submit_call, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let future = submit_call(&executor, || 6 * 7)?;
    /// let mut pool = LocalPool::new();
    /// pool.spawner().spawn_local(executor.dispatcher())?;
    /// pool.spawner().spawn_local({
    ///     let future = future.clone();
    ///     let executor = executor.clone();
    ///     async move {
    ///         future.done().signal().wait_for(true).await;
    ///         executor.stop().unwrap();
    ///     }
    /// })?;
    /// pool.run(); // returns when the dispatcher has seen the executor stop
    /// assert_eq!(future.result(), Ok(&42));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher::new(Rc::clone(&self.inner))
    }
}

impl Inner {
    fn router(&self) -> &Router {
        self.router.get_or_init(|| {
            let router = Router::new(self.wake_hook.borrow().clone());
            router
                .shared()
                .warn_undispatched_after(self.warn_undispatched_after.get());
            router
        })
    }

    fn running_tasks(&self) -> usize {
        self.router.get().map_or(0, Router::live)
    }

    pub(crate) fn set_wake_hook(&self, hook: Option<WakeHook>) {
        if let Some(router) = self.router.get() {
            router.shared().set_wake_hook(hook.clone());
        }
        *self.wake_hook.borrow_mut() = hook;
    }

    /// Stopping and no task left: join the owned pool, then `Stopped`, then wake the event loop
    /// (an async dispatcher ends on it).
    /// Returns whether it stopped the executor.
    pub(crate) fn complete_stop_if_idle(&self) -> bool {
        if self.running_tasks() != 0 {
            return false;
        }
        let Some(next) = transition(self.state.get(), ExecutorInput::LastTaskEnded) else {
            return false;
        };
        self.pool.shutdown_owned();
        self.state.set(next);
        let hook = self.wake_hook.borrow().clone();
        if let Some(hook) = hook {
            hook();
        }
        true
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.state.get() == ExecutorState::Stopped
    }
}

impl Default for TraitsExecutor {
    fn default() -> Self {
        TraitsExecutor::new()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.state.get();
        if state != ExecutorState::Stopped {
            log::warn!(
                "traits-futures: executor dropped while {state}; call shutdown() first. \
                 Its tasks are cancelled and its pool closed without waiting."
            );
            if let Some(router) = self.router.get() {
                // An observer panicking here must not turn into a panic inside a drop.
                if router.cancel_all().is_some() {
                    log::error!("traits-futures: an observer panicked while cancelling at drop");
                }
            }
        }
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
