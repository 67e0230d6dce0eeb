//! [`Submitter`]: submitting tasks to a main-thread executor from any thread.
//!
//! A submitter is the `Send` end of a queue of submissions; its main-thread end, the
//! [`RemoteIntake`], is a service in the executor's router (a [`PipeTarget`] that is no task):
//! a submission that finds the queue unscheduled announces the intake's key, exactly as a task's
//! first message announces its pipe, so every event loop (the headless loop's sleep, the async
//! `Dispatcher`, the wake callback) is woken the same way, and the intake is dispatched like a
//! pipe: one submission counts as one message of the dispatch budget, a non-blocking call takes
//! the queue at most once, and an event loop run from the callback goes on with the batch in
//! order. Each submission is made into a future on the main thread and handed to the callback.
//!
//! The stop's first step (cancelling every future) closes the intake: from then on `submit`
//! returns [`RemoteSubmitError::Stopped`]; what was queued and not yet handed over is dropped
//! unrun there, on the main thread, and logged. The callback is dropped then too, and when the
//! last submitter is dropped (the intake then leaves the router), so what it captures is not
//! kept alive by the executor.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::mem;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{drop_caught, RemoteSubmitError, SubmitError};
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::spec::TaskSpec;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::pipe::PipeTarget;
use crate::routing::router::{PipeKey, RouterShared};
use crate::tasks::call::{submit_call, CallHandler};

mod intake;
use intake::RemoteIntake;

/// One queued submission: makes the future on the main thread.
type Submission<H> =
    Box<dyn FnOnce(&TraitsExecutor) -> Result<TaskFuture<H>, SubmitError> + Send + 'static>;

/// The main thread's callback, shared so that a nested dispatch may call it while it runs.
type OnMain<H> = Rc<dyn Fn(TaskFuture<H>)>;

/// Submits tasks to a main-thread executor from any thread: `Send + Sync + Clone`, made on the
/// main thread by [`TraitsExecutor::submitter`].
///
/// Each accepted submission is made into a future on the main thread, by the event loop that
/// dispatches the executor's messages (whichever it is: [`run_until`](TraitsExecutor::run_until),
/// [`dispatch_within`](TraitsExecutor::dispatch_within), a [`Dispatcher`](crate::Dispatcher),
/// a wake callback's dispatch; a submission wakes it like a task's message), and its future
/// handed to the submitter's callback, exactly once, in the order of the submissions (of one
/// thread; of several threads, in the order they reached the queue). The executor and its
/// futures stay on the main thread; only the submission travels.
///
/// Each submission counts as one message of the dispatch budget, so a flood of submissions is
/// handed over a frame's budget at a time, like a flood of messages.
///
/// # When it is refused
/// `submit` returns [`RemoteSubmitError::Stopped`] once the executor has begun to stop (the
/// first step of [`stop`](TraitsExecutor::stop), before any future is cancelled), or is gone;
/// the submission is then dropped unrun on the calling thread. A submission accepted just before
/// that (queued, not yet handed over when the stop began) is dropped unrun on the main thread
/// during the stop, and a warning says how many were: the callback never sees it, which is what
/// would have happened to its future anyway (a stop cancels every future). If making the future
/// fails on the main thread (a shared pool closed meanwhile, or a `submit_with` closure's own
/// error), the failure is logged and the callback does not see it either.
///
/// # Panics on the main thread
/// The callback (and a [`submit_with`](Self::submit_with) closure) runs during dispatch, like an
/// observer: a panic resumes out of the dispatching call, after the future it was handed has
/// been made; the submissions after it are handed over by the next dispatch (which is woken, as
/// after an observer's panic).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use traits_futures::{testing::TEST_TIMEOUT, CallFuture, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// // On the main thread: where the futures go (the callback may capture GUI objects).
/// let jobs: Rc<RefCell<Vec<CallFuture<u64>>>> = Rc::default();
/// let submitter = executor.submitter({
///     let jobs = jobs.clone();
///     move |future: CallFuture<u64>| jobs.borrow_mut().push(future)
/// });
///
/// // On a worker (a network thread, a file watcher): submit tasks.
/// std::thread::spawn(move || {
///     for n in 1..=3u64 {
///         submitter.submit_call(move || n * n).unwrap();
///     }
/// });
///
/// executor.run_until(
///     || jobs.borrow().len() == 3 && jobs.borrow().iter().all(|job| job.done().get()),
///     Some(TEST_TIMEOUT),
/// )?;
/// let squares: Vec<u64> = jobs.borrow().iter().map(|job| *job.result().unwrap()).collect();
/// assert_eq!(squares, [1, 4, 9]);
/// executor.shutdown(Some(TEST_TIMEOUT))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Submitter<H: FutureHandler> {
    shared: Arc<Shared<H>>,
}

/// What the submitters and the intake share.
struct Shared<H: FutureHandler> {
    queue: Mutex<Queue<H>>,
    /// How many `Submitter` handles exist; the last one's drop disconnects the queue.
    senders: AtomicUsize,
    /// The intake's key and the router to announce it to (`None`: made closed).
    route: Option<(PipeKey, Arc<RouterShared>)>,
}

struct Queue<H: FutureHandler> {
    items: VecDeque<Submission<H>>,
    /// The intake's key was announced since the main thread last took the queue.
    scheduled: bool,
    /// The executor has begun to stop, or is gone: submissions are refused.
    closed: bool,
    /// Every submitter was dropped: once the queue is empty, the intake leaves the router.
    disconnected: bool,
}

impl<H: FutureHandler> Shared<H> {
    fn lock(&self) -> MutexGuard<'_, Queue<H>> {
        // No user code runs under the lock: its data is always consistent.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn announce(&self) {
        if let Some((key, router)) = &self.route {
            router.announce(*key);
        }
    }
}

impl TraitsExecutor {
    /// A [`Submitter`]: a `Send + Sync + Clone` handle that any thread can use to submit tasks
    /// of handler type `H` to this executor; each one's future is handed to `on_main`, on this
    /// thread, during dispatch (see [`Submitter`]). `on_main` stays on this thread, so it may
    /// capture GUI objects; it is dropped when the executor begins to stop, or once every
    /// submitter is dropped and the queue is empty. Made on an executor that has begun to stop,
    /// the submitter refuses every submission.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use traits_futures::{testing::TEST_TIMEOUT, CallFuture, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let handed = Rc::new(Cell::new(0));
    /// let submitter = executor.submitter({
    ///     let handed = handed.clone();
    ///     move |_future: CallFuture<&str>| handed.set(handed.get() + 1)
    /// });
    /// let remote = submitter.clone(); // one handle per thread
    /// std::thread::spawn(move || remote.submit_call(|| "from a worker")).join().unwrap()?;
    /// executor.run_until(|| handed.get() == 1, Some(TEST_TIMEOUT))?;
    /// # executor.shutdown(Some(TEST_TIMEOUT))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submitter<H: FutureHandler>(
        &self,
        on_main: impl Fn(TaskFuture<H>) + 'static,
    ) -> Submitter<H> {
        if !self.accepts_tasks() {
            discard("a refused submitter's callback", on_main);
            return Submitter::new(Shared {
                queue: Mutex::new(Queue::new(true)),
                senders: AtomicUsize::new(1),
                route: None,
            });
        }
        let router = self.router();
        let mut made = None;
        router.insert_service(|key| {
            let shared = Arc::new(Shared {
                queue: Mutex::new(Queue::new(false)),
                senders: AtomicUsize::new(1),
                route: Some((key, Arc::clone(router.shared()))),
            });
            let intake = Rc::new(RemoteIntake {
                shared: Arc::clone(&shared),
                executor: self.downgrade(),
                on_main: RefCell::new(Some(Rc::new(on_main) as OnMain<H>)),
                local: RefCell::new(VecDeque::new()),
            });
            made = Some(shared);
            intake as Rc<dyn PipeTarget>
        });
        Submitter {
            shared: made.expect("insert_service calls its closure"),
        }
    }
}

impl<H: FutureHandler> Queue<H> {
    fn new(closed: bool) -> Self {
        Queue {
            items: VecDeque::new(),
            scheduled: false,
            closed,
            disconnected: false,
        }
    }
}

impl<H: FutureHandler> Submitter<H> {
    fn new(shared: Shared<H>) -> Self {
        Submitter {
            shared: Arc::new(shared),
        }
    }

    /// Submits `spec` (any thread): its future is made on the main thread and handed to the
    /// callback. The spec must be `Send`, its handler included; for a handler that must be made
    /// on the main thread (one holding observables), use [`submit_with`](Self::submit_with).
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::convert::Infallible;
    /// use std::rc::Rc;
    /// use traits_futures::{
    ///     testing::TEST_TIMEOUT, BackgroundTask, CallFuture, CallHandler, TaskContext, TraitsExecutor,
    /// };
    ///
    /// struct Answer;
    /// impl BackgroundTask for Answer {
    ///     type Message = Infallible; type Output = u32; type Error = Infallible;
    ///     fn run(self, _: &TaskContext<'_, Infallible>) -> Result<u32, Infallible> { Ok(42) }
    /// }
    ///
    /// let executor = TraitsExecutor::new();
    /// let answers: Rc<RefCell<Vec<CallFuture<u32>>>> = Rc::default();
    /// let submitter = executor.submitter({
    ///     let answers = answers.clone();
    ///     move |future| answers.borrow_mut().push(future)
    /// });
    /// std::thread::spawn(move || submitter.submit((CallHandler::default(), Answer)))
    ///     .join()
    ///     .unwrap()?;
    /// executor.run_until(
    ///     || answers.borrow().first().is_some_and(|answer| answer.done().get()),
    ///     Some(TEST_TIMEOUT),
    /// )?;
    /// assert_eq!(answers.borrow()[0].result(), Ok(&42));
    /// # executor.shutdown(Some(TEST_TIMEOUT))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit<S>(&self, spec: S) -> Result<(), RemoteSubmitError>
    where
        S: TaskSpec<Handler = H> + Send + 'static,
    {
        self.push(Box::new(move |executor: &TraitsExecutor| {
            executor.submit(spec)
        }))
    }

    /// Submits `make` (any thread), which the main thread calls with the executor to submit
    /// the task: any `submit_*` function, or a handler made there. Its future is handed to the
    /// callback; an `Err` is logged (the callback does not see it).
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use traits_futures::{
    ///     submit_progress, testing::TEST_TIMEOUT, ProgressFuture, TraitsExecutor,
    /// };
    ///
    /// let executor = TraitsExecutor::new();
    /// let copies: Rc<RefCell<Vec<ProgressFuture<(u32, u32), &str>>>> = Rc::default();
    /// let submitter = executor.submitter({
    ///     let copies = copies.clone();
    ///     move |future| copies.borrow_mut().push(future)
    /// });
    /// std::thread::spawn(move || {
    ///     submitter.submit_with(|executor| {
    ///         submit_progress(executor, |reporter| {
    ///             for done in 0..=2 { reporter.report((done, 2))?; }
    ///             Ok("copied")
    ///         })
    ///     })
    /// })
    /// .join()
    /// .unwrap()?;
    /// executor.run_until(
    ///     || copies.borrow().first().is_some_and(|copy| copy.done().get()),
    ///     Some(TEST_TIMEOUT),
    /// )?;
    /// assert_eq!(copies.borrow()[0].result(), Ok(&"copied"));
    /// # executor.shutdown(Some(TEST_TIMEOUT))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_with(
        &self,
        make: impl FnOnce(&TraitsExecutor) -> Result<TaskFuture<H>, SubmitError> + Send + 'static,
    ) -> Result<(), RemoteSubmitError> {
        self.push(Box::new(make))
    }

    /// Queues `submission` and announces the intake if it was not scheduled.
    fn push(&self, submission: Submission<H>) -> Result<(), RemoteSubmitError> {
        let mut queue = self.shared.lock();
        if queue.closed {
            drop(queue);
            discard("a refused remote submission", submission);
            return Err(RemoteSubmitError::Stopped);
        }
        queue.items.push_back(submission);
        let announce = !mem::replace(&mut queue.scheduled, true);
        drop(queue);
        if announce {
            self.shared.announce();
        }
        Ok(())
    }
}

impl<T: Send + 'static> Submitter<CallHandler<T>> {
    /// Submits a background call (any thread): [`submit_call`](crate::submit_call) on the main
    /// thread, its future handed to the callback.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use traits_futures::{testing::TEST_TIMEOUT, CallFuture, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let calls: Rc<RefCell<Vec<CallFuture<i32>>>> = Rc::default();
    /// let submitter = executor.submitter({
    ///     let calls = calls.clone();
    ///     move |future| calls.borrow_mut().push(future)
    /// });
    /// std::thread::spawn(move || submitter.submit_call(|| 6 * 7)).join().unwrap()?;
    /// executor.run_until(
    ///     || calls.borrow().first().is_some_and(|call| call.done().get()),
    ///     Some(TEST_TIMEOUT),
    /// )?;
    /// assert_eq!(calls.borrow()[0].result(), Ok(&42));
    /// # executor.shutdown(Some(TEST_TIMEOUT))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_call(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<(), RemoteSubmitError> {
        self.push(Box::new(move |executor: &TraitsExecutor| {
            submit_call(executor, f)
        }))
    }
}

impl<H: FutureHandler> Clone for Submitter<H> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Submitter {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<H: FutureHandler> Drop for Submitter<H> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The last handle: tell the intake, which leaves the router once the queue is empty.
        let mut queue = self.shared.lock();
        if queue.closed {
            return;
        }
        queue.disconnected = true;
        let announce = !mem::replace(&mut queue.scheduled, true);
        drop(queue);
        if announce {
            self.shared.announce();
        }
    }
}

impl<H: FutureHandler> fmt::Debug for Submitter<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queue = self.shared.lock();
        f.debug_struct("Submitter")
            .field("queued", &queue.items.len())
            .field("closed", &queue.closed)
            .finish()
    }
}

/// Drops a value of user code, catching and logging a panic of its `Drop`.
fn discard<T>(what: &str, value: T) {
    if let Some(panic) = drop_caught(value) {
        log::warn!("traits-futures: dropping {what} panicked: {panic}");
    }
}
