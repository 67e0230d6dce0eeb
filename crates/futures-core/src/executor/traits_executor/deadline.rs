//! Deadlines: a future cancelled with [`CancelReason::Deadline`] once an instant passes.
//!
//! Futures are `!Send`, so only the main thread can cancel one. The executor keeps its armed
//! deadlines ([`Deadlines`], main thread) and cancels the due ones at the start of every
//! dispatch (`dispatch_pending`, `dispatch_within`, each poll of a `Dispatcher`) and before every
//! dispatch step of `run_until`, whose sleep is also cut short at the next deadline. To wake a
//! loop that sleeps with nothing to dispatch, one timer thread per executor (started with the
//! first deadline, stopped and joined when the executor reaches `Stopped` or is dropped) waits
//! for the armed instants and wakes every event loop, as a [`LoopWaker`](crate::LoopWaker)
//! does. The timer knows instants only, never futures.

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Inner, TraitsExecutor};
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::router::RouterShared;
use crate::state::CancelReason;

/// Deadlines, on the executor and on the future (documented with the rest of each).
impl TraitsExecutor {
    /// Cancels `future` with [`CancelReason::Deadline`] once `deadline` passes, unless it is
    /// done by then. Works for any future: this executor's, another's, or a detached one (a
    /// group's), as long as this executor's event loop runs.
    ///
    /// The cancel happens on this thread, in the event loop's next dispatch after the
    /// deadline: [`run_until`](Self::run_until) wakes for it, and so do the async
    /// [`Dispatcher`](crate::Dispatcher) and the wake callback (a timer thread of the executor
    /// wakes them). It is an ordinary cancel: the task stops at its next send or checkpoint,
    /// nothing it sends after the deadline is delivered, and the future ends `Cancelled` with
    /// [`cancel_reason`](TaskFuture::cancel_reason) `Some(CancelReason::Deadline)`, which tells
    /// it apart from a user's [`cancel`](TaskFuture::cancel). A deadline already past cancels
    /// at once, inside this call; several deadlines on one future: the first to pass wins.
    ///
    /// Returns `true` if the deadline is armed (or fired at once); `false`, and nothing
    /// happens, if the future is no longer cancellable or this executor is `Stopped`. The
    /// executor keeps no strong handle: a future whose every handle is dropped and whose task
    /// has ended is not kept alive by its deadline.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use traits_futures::{submit_progress, CancelReason, FutureState, ProgressFuture, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let endless: ProgressFuture<(), ()> = submit_progress(&executor, |reporter| loop {
    ///     reporter.report(())?; // returns Err once cancelled
    ///     std::thread::sleep(Duration::from_millis(1));
    /// })?;
    /// executor.cancel_at(&endless, Instant::now() + Duration::from_millis(20));
    /// executor.run_until(|| endless.done().get(), None)?;
    /// assert_eq!(endless.state().get(), FutureState::Cancelled);
    /// assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel_at<H: FutureHandler>(&self, future: &TaskFuture<H>, deadline: Instant) -> bool {
        if !future.cancellable().get() || self.inner.is_stopped() {
            return false;
        }
        if deadline <= Instant::now() {
            return future.cancel_with(CancelReason::Deadline);
        }
        let weak = future.downgrade();
        let cancel = Box::new(move || {
            if let Some(future) = weak.upgrade() {
                future.cancel_with(CancelReason::Deadline);
            }
        });
        let router = Arc::clone(self.inner.router().shared());
        self.inner.deadlines.arm(deadline, cancel, router);
        true
    }

    /// [`cancel_at`](Self::cancel_at) `timeout` from now. A timeout too large to be an
    /// [`Instant`] never fires (and still returns `true`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let quick = submit_call(&executor, || 6 * 7)?;
    /// assert!(executor.cancel_after(&quick, Duration::from_secs(60)));
    /// executor.run_until(|| quick.done().get(), None)?;
    /// assert_eq!(quick.result(), Ok(&42)); // done in time: untouched
    /// assert!(!executor.cancel_after(&quick, Duration::from_secs(1))); // done: nothing to do
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel_after<H: FutureHandler>(
        &self,
        future: &TaskFuture<H>,
        timeout: Duration,
    ) -> bool {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.cancel_at(future, deadline),
            None => future.cancellable().get() && !self.inner.is_stopped(),
        }
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// This future, cancelled with [`CancelReason::Deadline`] if it is not done `timeout` from
    /// now: [`TraitsExecutor::cancel_after`] in a form that chains onto a submission, so that
    /// the task is given its timeout as it is submitted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::{submit_progress, CancelReason, ProgressFuture, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let search: ProgressFuture<(), ()> = submit_progress(&executor, |reporter| loop {
    ///     reporter.report(())?;
    ///     std::thread::sleep(Duration::from_millis(1));
    /// })?
    /// .with_timeout(&executor, Duration::from_millis(20));
    /// executor.run_until(|| search.done().get(), None)?;
    /// assert_eq!(search.cancel_reason(), Some(CancelReason::Deadline));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_timeout(self, executor: &TraitsExecutor, timeout: Duration) -> Self {
        executor.cancel_after(&self, timeout);
        self
    }

    /// This future, cancelled with [`CancelReason::Deadline`] if it is not done at `deadline`:
    /// [`TraitsExecutor::cancel_at`] in a form that chains onto a submission.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use traits_futures::{submit_call, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let by_then = Instant::now() + Duration::from_secs(60);
    /// let future = submit_call(&executor, || 1)?.with_deadline(&executor, by_then);
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.result(), Ok(&1));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_deadline(self, executor: &TraitsExecutor, deadline: Instant) -> Self {
        executor.cancel_at(&self, deadline);
        self
    }
}

/// An armed deadline: when, the order it was armed in (ties), and what cancels the future.
struct Entry {
    at: Instant,
    seq: u64,
    cancel: Box<dyn Fn()>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The executor's armed deadlines (main thread) and its timer thread.
#[derive(Default)]
pub(crate) struct Deadlines {
    /// Soonest first.
    entries: RefCell<BinaryHeap<Reverse<Entry>>>,
    /// The soonest armed instant: the event loops read only this while nothing is due.
    next: Cell<Option<Instant>>,
    armed: Cell<u64>,
    timer: RefCell<Option<Timer>>,
}

impl Deadlines {
    fn arm(&self, at: Instant, cancel: Box<dyn Fn()>, router: Arc<RouterShared>) {
        let seq = self.armed.get();
        self.armed.set(seq + 1);
        self.entries
            .borrow_mut()
            .push(Reverse(Entry { at, seq, cancel }));
        if self.next.get().is_none_or(|next| at < next) {
            self.next.set(Some(at));
        }
        let mut timer = self.timer.borrow_mut();
        if timer.is_none() {
            *timer = Timer::start(router);
        }
        if let Some(timer) = timer.as_ref() {
            timer.add(at);
        }
    }

    /// The soonest armed deadline, for a loop that sleeps.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.next.get()
    }

    /// Cancels the futures whose deadline has passed (main thread, from the event loops).
    /// Returns whether any was due. Observers of the cancellations run here; if one panics,
    /// the other due futures are still cancelled, then the first panic resumes.
    pub(crate) fn expire_due(&self) -> bool {
        let Some(next) = self.next.get() else {
            return false;
        };
        let now = Instant::now();
        if now < next {
            return false;
        }
        let mut due = Vec::new();
        {
            let mut entries = self.entries.borrow_mut();
            while entries.peek().is_some_and(|entry| entry.0.at <= now) {
                due.extend(entries.pop().map(|entry| entry.0));
            }
            self.next.set(entries.peek().map(|entry| entry.0.at));
        }
        let mut first_panic = None;
        for entry in due {
            if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| (entry.cancel)())) {
                first_panic.get_or_insert(panic);
            }
        }
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
        true
    }

    /// Forgets every deadline and stops (joins) the timer thread: the executor is `Stopped`
    /// (its futures were all cancelled) or dropped.
    pub(crate) fn clear(&self) {
        let timer = self.timer.borrow_mut().take();
        drop(timer);
        let entries = std::mem::take(&mut *self.entries.borrow_mut());
        self.next.set(None);
        drop(entries);
    }
}

impl Inner {
    /// Cancels the futures whose deadline has passed; see [`Deadlines::expire_due`].
    pub(crate) fn expire_deadlines(&self) -> bool {
        self.deadlines.expire_due()
    }
}

/// The timer thread's handle: dropping it stops and joins the thread.
struct Timer {
    shared: Arc<TimerShared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct TimerShared {
    state: Mutex<TimerState>,
    changed: Condvar,
}

#[derive(Default)]
struct TimerState {
    due: BinaryHeap<Reverse<Instant>>,
    stop: bool,
}

impl TimerShared {
    fn lock(&self) -> MutexGuard<'_, TimerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Timer {
    /// Starts the thread; `None` (logged) if the system refuses a thread: then only the
    /// headless loop, which sleeps no later than the next deadline, and loops woken for other
    /// reasons see deadlines.
    fn start(router: Arc<RouterShared>) -> Option<Timer> {
        let shared = Arc::new(TimerShared::default());
        let theirs = Arc::clone(&shared);
        match std::thread::Builder::new()
            .name("tf-deadlines".into())
            .spawn(move || run_timer(&theirs, &router))
        {
            Ok(thread) => Some(Timer {
                shared,
                thread: Some(thread),
            }),
            Err(error) => {
                log::error!("traits-futures: could not start the deadline timer thread: {error}");
                None
            }
        }
    }

    fn add(&self, at: Instant) {
        self.shared.lock().due.push(Reverse(at));
        self.shared.changed.notify_one();
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_one();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("traits-futures: the deadline timer thread panicked");
            }
        }
    }
}

/// The timer thread: waits for the soonest instant, then wakes the event loops (outside its
/// lock) for every instant that has passed.
fn run_timer(shared: &TimerShared, router: &RouterShared) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        let now = Instant::now();
        let mut passed = false;
        while state.due.peek().is_some_and(|at| at.0 <= now) {
            state.due.pop();
            passed = true;
        }
        if passed {
            drop(state);
            router.wake_loop();
            state = shared.lock();
            continue;
        }
        state = match state.due.peek() {
            Some(at) => {
                let wait = at.0.saturating_duration_since(now);
                shared
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => shared
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner()),
        };
    }
}
