//! The event loops: the headless loop (`run_until`, `dispatch_pending`, `dispatch_within`,
//! behind the executor's methods of the same names) and the async integration, [`Dispatcher`],
//! a future that dispatches when woken, within a budget per poll. The notify integration is
//! [`TraitsExecutor::set_wake_callback`](crate::TraitsExecutor::set_wake_callback); all three
//! share the router's coalesced wake-up and one dispatch step, [`Inner::dispatch`]. A
//! [`LoopWaker`] wakes any of them from another thread.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::RunTimeout;
use crate::executor::budget::{BudgetMeter, DispatchBudget, Dispatched};
use crate::executor::traits_executor::Inner;
use crate::routing::announcements::Woke;
use crate::routing::router::{HookId, Intake, RouterShared, Step};

impl Inner {
    /// Dispatches, without blocking, what was announced when the call began, until `budget` is
    /// spent; requests a wake if anything is left.
    pub(crate) fn dispatch_within(&self, budget: DispatchBudget) -> Dispatched {
        let Some(router) = self.router.get() else {
            return Dispatched::new(0, false);
        };
        // Clear, then take: a key announced after the take requests a wake of its own.
        router.clear_wake_pending();
        router.take_announcements();
        let delivered = self.wake_again_after_panic(|| {
            // Deadlines first: what a task sent after its deadline is not delivered.
            self.expire_deadlines();
            let mut meter = BudgetMeter::start(budget);
            let mut count = 0;
            loop {
                let allowance = meter.allowance();
                if allowance == 0 {
                    break;
                }
                let stop = &mut || meter.after_message();
                match self.dispatch(allowance, stop, Intake::Snapshot) {
                    (0, _) => break,
                    (n, _) => count += n,
                }
            }
            count
        });
        // What the budget left was taken already and will not be announced again.
        let more_pending = router.has_pending();
        if more_pending {
            router.shared().request_wake();
        }
        Dispatched::new(delivered, more_pending)
    }

    /// Runs `dispatching`; if an observer's panic comes out of it, requests a new wake for
    /// whatever it left undispatched before resuming the panic. The wake that started this
    /// dispatch was consumed, and the keys already taken are not announced again: without it, a
    /// notify or async loop would not come back for the rest of the batch.
    fn wake_again_after_panic<R>(&self, dispatching: impl FnOnce() -> R) -> R {
        match panic::catch_unwind(AssertUnwindSafe(dispatching)) {
            Ok(value) => value,
            Err(payload) => {
                if let Some(router) = self.router.get() {
                    router.request_wake_if_pending();
                }
                panic::resume_unwind(payload)
            }
        }
    }

    pub(crate) fn run_until(
        &self,
        condition: impl FnMut() -> bool,
        timeout: Option<Duration>,
    ) -> Result<(), RunTimeout> {
        self.wake_again_after_panic(|| self.run_until_inner(condition, timeout))
    }

    fn run_until_inner(
        &self,
        mut condition: impl FnMut() -> bool,
        timeout: Option<Duration>,
    ) -> Result<(), RunTimeout> {
        if condition() {
            return Ok(());
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if let Some(router) = self.router.get() {
            router.clear_wake_pending();
        }
        // The pipe checks the condition after every single message; remember its last answer.
        let satisfied = std::cell::Cell::new(false);
        let mut check = || {
            satisfied.set(condition());
            satisfied.get()
        };
        loop {
            loop {
                // Deadlines first (a cancel may be what the condition waits for).
                if self.expire_deadlines() && check() {
                    return Ok(());
                }
                let (count, finished) = self.dispatch(usize::MAX, &mut check, Intake::Arrivals);
                if count == 0 {
                    break;
                }
                // A finished future may have let the executor stop after the last check.
                if satisfied.get() || (finished && check()) {
                    return Ok(());
                }
            }
            // A nested loop, run from an observer of the last future to finish, finds the
            // executor idle before the outer loop's bookkeeping: complete the stop here.
            if self.complete_stop_if_idle() && check() {
                return Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(RunTimeout {
                    timeout: timeout.unwrap_or_default(),
                });
            }
            match self.router.get() {
                Some(router) => {
                    // Woken from outside (a `LoopWaker`): the condition may hold now, with
                    // nothing to dispatch.
                    // Sleep no later than the next deadline (its timer wakes us too).
                    let until = match (deadline, self.deadlines.next()) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if router.wait(until) == Woke::Woken && check() {
                        return Ok(());
                    }
                }
                None => match deadline {
                    // No task was ever submitted: nothing can arrive.
                    Some(deadline) => {
                        std::thread::sleep(deadline.saturating_duration_since(Instant::now()))
                    }
                    None => std::thread::park(),
                },
            }
        }
    }

    /// One dispatch step (one pipe's batch, cut short by `stop`), with the executor's
    /// bookkeeping. Returns how many messages were delivered (0 if nothing was pending) and
    /// whether a future finished.
    pub(crate) fn dispatch(
        &self,
        budget: usize,
        stop: &mut dyn FnMut() -> bool,
        intake: Intake,
    ) -> (usize, bool) {
        let Some(router) = self.router.get() else {
            return (0, false);
        };
        match router.dispatch(budget, stop, intake) {
            Step::Idle => (0, false),
            Step::Delivered {
                count,
                finished,
                panic,
            } => {
                if finished {
                    self.complete_stop_if_idle();
                }
                if let Some(payload) = panic {
                    panic::resume_unwind(payload);
                }
                (count, finished)
            }
        }
    }
}

/// What one poll dispatches at most before yielding, so that other tasks on the same
/// single-threaded executor (the UI's signal listeners, its drawing) run during a long burst:
/// a frame's share of time, and no more than 1024 messages, so that the other tasks also get
/// a turn often when messages are quick.
const BUDGET_PER_POLL: DispatchBudget = DispatchBudget::FRAME.with_messages(1024);

/// A future that dispatches an executor's messages on the thread that polls it, whenever a
/// worker wakes it, and completes once the executor is `Stopped`.
///
/// Made by [`TraitsExecutor::dispatcher`](crate::TraitsExecutor::dispatcher); spawn it on the
/// GUI thread's local executor (`glib::spawn_future_local`, a tokio `LocalSet`, a
/// `futures::executor::LocalPool`). It keeps the executor alive while it runs.
///
/// Each poll dispatches what was announced when it began, within a budget:
/// [`DispatchBudget::FRAME`] (4 ms) and at most 1024 messages, unless
/// [`with_budget`](Self::with_budget) says otherwise. When it stops with work left (the budget
/// is spent, or a task sent more meanwhile), it wakes itself and yields: the UI's other tasks
/// run, and the next poll goes on where this one stopped, so a task that floods the main thread
/// never starves the UI, and no message is lost.
///
/// Every live dispatcher of an executor is woken, alongside its wake callback (see
/// [`set_wake_callback`](crate::TraitsExecutor::set_wake_callback)), and every one ends at
/// `Stopped`; one is enough, and creating a second while another is alive logs a warning.
/// Dropping a dispatcher unregisters it, and at `Stopped` it lets go of its waker.
///
/// It is an ordinary `Future`, so any executor can drive it; here the calling thread blocks on
/// it until an observer stops the executor:
///
/// ```
/// use traits_futures::{submit_call, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || "ready")?;
/// let _quit = future.done().observe({
///     let executor = executor.clone();
///     move |_, done| if *done { executor.stop().unwrap() }
/// });
/// futures::executor::block_on(executor.dispatcher()); // returns once Stopped
/// assert_eq!(future.result(), Ok(&"ready"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a dispatcher does nothing unless spawned or polled"]
pub struct Dispatcher {
    executor: Rc<Inner>,
    waker: Arc<Mutex<Option<Waker>>>,
    /// Its wake hook among the router's (`None` if made after `Stopped`, or once dropped).
    hook: Option<HookId>,
    /// What one poll may dispatch.
    budget: DispatchBudget,
}

impl Dispatcher {
    pub(crate) fn new(executor: Rc<Inner>) -> Self {
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&waker);
        let hook = executor.add_wake_hook(Arc::new(move || {
            let waker = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        }));
        if hook.is_some() {
            let others = executor.dispatchers.get();
            if others > 0 {
                log::warn!(
                    "traits-futures: a Dispatcher was made while {others} other(s) of the same \
                     executor are alive; every one is woken and every one ends at Stopped, but \
                     one is enough"
                );
            }
            executor.dispatchers.set(others + 1);
        }
        Dispatcher {
            executor,
            waker,
            hook,
            budget: BUDGET_PER_POLL,
        }
    }

    /// This dispatcher with `budget` for each poll instead of the default
    /// ([`DispatchBudget::FRAME`] with at most 1024 messages).
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::{submit_iteration, DispatchBudget, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let numbers = submit_iteration(&executor, || 0..1000)?;
    /// let _quit = numbers.done().observe({
    ///     let executor = executor.clone();
    ///     move |_, done| if *done { executor.stop().unwrap() }
    /// });
    /// // A toolkit whose frames are short: 2 ms of dispatch, 100 messages at most, per poll.
    /// let budget = DispatchBudget::time(Duration::from_millis(2)).with_messages(100);
    /// futures::executor::block_on(executor.dispatcher().with_budget(budget));
    /// assert!(numbers.done().get());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_budget(mut self, budget: DispatchBudget) -> Self {
        self.budget = budget;
        self
    }

    fn set_waker(&self, waker: Option<&Waker>) {
        let mut slot = self.waker.lock().unwrap_or_else(|p| p.into_inner());
        match waker {
            Some(waker) if slot.as_ref().is_some_and(|w| w.will_wake(waker)) => {}
            Some(waker) => *slot = Some(waker.clone()),
            None => *slot = None,
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        if let Some(hook) = self.hook.take() {
            self.executor.remove_wake_hook(hook);
            let alive = self.executor.dispatchers.get();
            self.executor.dispatchers.set(alive.saturating_sub(1));
        }
    }
}

impl Future for Dispatcher {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Register the waker before draining: a message announced after the drain starts
        // either is drained now or calls the hook, which wakes this waker.
        self.set_waker(Some(cx.waker()));
        let dispatched = self.executor.dispatch_within(self.budget);
        if self.executor.is_stopped() {
            self.set_waker(None); // nothing will wake it again: let go of the task
            return Poll::Ready(());
        }
        if dispatched.more_pending {
            // Budget spent, or more arrived meanwhile. Come back after the others had a turn.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// Wakes an executor's event loop from any thread: `Send + Sync + Clone`, made by
/// [`TraitsExecutor::waker`](crate::TraitsExecutor::waker).
///
/// [`wake`](Self::wake) makes the headless loop ([`run_until`](crate::TraitsExecutor::run_until),
/// and so [`shutdown`](crate::TraitsExecutor::shutdown)) re-check its condition at once, even
/// though no task has sent anything; it also wakes every async [`Dispatcher`] and calls the
/// notify integration's wake callback. This is how a Ctrl-C handler, a timer thread or a
/// network thread gets the main thread to look at a flag it set.
///
/// Set what the condition reads *before* calling `wake`: the loop may already be awake and
/// about to check. A wake that comes while the loop is not sleeping is not lost: its next sleep
/// returns at once (and a spurious re-check of the condition is harmless). Each call wakes the
/// loop and calls the wake callback: wakes are not coalesced, so call it for events, not in a
/// tight loop. The handle stays valid, and harmless, after the executor is stopped or dropped.
///
/// ```
/// use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
/// use std::time::Duration;
/// use traits_futures::{submit_call, testing::TEST_TIMEOUT, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let (release, gate) = std::sync::mpsc::channel::<()>();
/// let slow = submit_call(&executor, move || gate.recv_timeout(Duration::from_secs(60)).is_ok())?;
///
/// // Another thread (a Ctrl-C handler, say) raises a flag and wakes the loop.
/// let interrupted = Arc::new(AtomicBool::new(false));
/// let waker = executor.waker();
/// let handler = std::thread::spawn({
///     let interrupted = interrupted.clone();
///     move || {
///         interrupted.store(true, Ordering::SeqCst);
///         waker.wake();
///     }
/// });
///
/// // The task sends nothing while it waits, yet the loop returns once the flag is up.
/// executor.run_until(
///     || slow.done().get() || interrupted.load(Ordering::SeqCst),
///     Some(TEST_TIMEOUT),
/// )?;
/// assert!(slow.cancel());
/// let _ = release.send(()); // (a task cancelled before it started is dropped unrun)
/// executor.run_until(|| slow.done().get(), Some(TEST_TIMEOUT))?;
/// assert_eq!(slow.state().get(), FutureState::Cancelled);
/// handler.join().unwrap();
/// executor.shutdown(Some(TEST_TIMEOUT))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LoopWaker {
    router: Arc<RouterShared>,
}

impl LoopWaker {
    pub(crate) fn new(router: Arc<RouterShared>) -> Self {
        LoopWaker { router }
    }

    /// Wakes the executor's event loops (any thread): the headless loop re-checks its
    /// condition, every `Dispatcher` is polled, the wake callback is called (on this thread; a
    /// panic of the callback is caught and logged, as when a worker calls it). Never blocks
    /// for long: it takes two short locks.
    pub fn wake(&self) {
        self.router.wake_loop();
    }
}

impl fmt::Debug for LoopWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopWaker").finish_non_exhaustive()
    }
}
