//! The executor's face to the event loops: the headless loop (`run_until`, `dispatch_pending`,
//! `dispatch_within`, `exercise_event_loop`), the notify integration (`set_wake_callback`), the
//! async one (`dispatcher`), and the cross-thread `waker`. The loops themselves are in
//! `executor/event_loop.rs`.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::error::RunTimeout;
use crate::executor::budget::{DispatchBudget, Dispatched};
use crate::executor::event_loop::{Dispatcher, LoopWaker};
use crate::routing::router::WakeHook;

use super::TraitsExecutor;

impl TraitsExecutor {
    /// Dispatches, on this thread, every message that had arrived when the call began; never
    /// blocks. Returns how many were dispatched.
    ///
    /// Messages that tasks announce while it runs are left for the next call (and wake the
    /// event loop as usual), so a task that sends without pause cannot keep it running. (A
    /// task's messages are taken a batch at a time, so some sent meanwhile by a task already
    /// being dispatched may be delivered too.) For a GUI frame, prefer
    /// [`dispatch_within`](Self::dispatch_within), which also stops when a time budget is spent.
    ///
    /// This is what a GUI calls when woken (see the event-loop chapter of the guide).
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// assert_eq!(executor.dispatch_pending(), 0);
    /// ```
    pub fn dispatch_pending(&self) -> usize {
        self.inner
            .dispatch_within(DispatchBudget::UNLIMITED)
            .delivered
    }

    /// Dispatches, on this thread and without blocking, what had arrived when the call began,
    /// until `budget` is spent: what a GUI frame calls before it draws.
    ///
    /// Returns how many messages were delivered and whether anything is left, either because
    /// the budget ran out or because tasks sent more meanwhile; then a wake was requested, so
    /// that the wake callback and every [`Dispatcher`] come back for it (and a loop that
    /// dispatches every frame gets it next frame). The time limit is checked between messages
    /// (see [`DispatchBudget`]): one slow observer can overrun it. Splitting a dispatch over
    /// calls changes nothing else: each future's messages arrive in order, none is lost, and a
    /// future cancelled between two calls receives nothing more.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use traits_futures::{submit_iteration, DispatchBudget, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let (sent, all_sent) = mpsc::channel();
    /// let numbers = submit_iteration(&executor, move || {
    ///     (0..10).chain(std::iter::from_fn(move || { sent.send(()).ok(); None }))
    /// })?;
    /// all_sent.recv()?; // `Started` and ten items are queued
    ///
    /// let first = executor.dispatch_within(DispatchBudget::messages(4));
    /// assert_eq!((first.delivered, first.more_pending), (4, true));
    /// // The next frames go on where the first stopped.
    /// while !numbers.done().get() {
    ///     executor.dispatch_within(DispatchBudget::FRAME);
    /// }
    /// executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dispatch_within(&self, budget: DispatchBudget) -> Dispatched {
        self.inner.dispatch_within(budget)
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
    /// integration), replacing the previous wake callback, if any (which is then dropped and
    /// never called again; replacing one logs a warning). Async [`Dispatcher`]s are not
    /// replaced: they and the callback are all woken.
    ///
    /// Workers call it at most once per burst of messages: after a call, the next one comes only
    /// once this thread has called [`dispatch_pending`](Self::dispatch_pending) (or another
    /// dispatching method), and a message that arrives after that always causes a new call.
    /// If messages are already waiting when it is installed (say, after a headless
    /// [`run_until`](Self::run_until)), it is called once at once, on this thread.
    ///
    /// The callback usually runs on a worker thread (also on this thread: when installed with
    /// messages waiting, when a [`dispatch_within`](Self::dispatch_within) leaves work for the
    /// next frame, and once when the executor reaches `Stopped`; and on the thread of a
    /// [`LoopWaker`]): it should only ask the UI to wake (egui's `request_repaint`, a winit
    /// `EventLoopProxy::send_event`, slint's `invoke_from_event_loop`), never dispatch itself.
    ///
    /// If it panics (a `send(..).unwrap()` into a UI channel that has closed), the panic is
    /// caught and logged at `error` level (the first time; later ones at `debug`); the worker
    /// goes on with its task, the messages stay queued and are dispatched by the next dispatch,
    /// and the callback is called again for the burst after that dispatch.
    ///
    /// At `Stopped` the callback is called one last time and then dropped, with whatever it
    /// captures; a callback installed after `Stopped` is dropped at once.
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
        let hook: WakeHook = Arc::new(callback);
        let new = self.inner.add_wake_hook(hook);
        if let Some(old) = self.inner.wake_callback.replace(new) {
            self.inner.remove_wake_hook(old);
            log::warn!(
                "traits-futures: set_wake_callback replaced the executor's previous wake \
                 callback, which will not be called again"
            );
        }
    }

    /// A handle that wakes this executor's event loop from any thread: the headless loop
    /// re-checks its condition, every [`Dispatcher`] is polled, and the wake callback is called.
    /// For a Ctrl-C handler, a timer or a network thread; see [`LoopWaker`].
    ///
    /// ```
    /// let executor = traits_futures::TraitsExecutor::new();
    /// let waker = executor.waker();
    /// std::thread::spawn(move || waker.wake()).join().unwrap();
    /// # executor.shutdown(None).unwrap();
    /// ```
    pub fn waker(&self) -> LoopWaker {
        LoopWaker::new(Arc::clone(self.router().shared()))
    }

    /// A future that dispatches this executor's messages whenever it is woken, and ends once
    /// the executor is `Stopped`: the *async* integration. Spawn it on the main thread's
    /// single-threaded executor (glib's `spawn_future_local`, a tokio `LocalSet`,
    /// `futures::executor::LocalPool`); signal listeners spawned there then update the UI.
    ///
    /// Creating it registers its waker beside the executor's other ways to wake (a wake
    /// callback, other dispatchers): every one is woken, and every dispatcher ends at `Stopped`.
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
