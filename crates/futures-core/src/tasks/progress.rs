//! Background tasks that report progress ([`submit_progress`]).

use std::fmt;
use std::marker::PhantomData;

use traits_core::Event;

use crate::error::{SubmitError, TaskCancelled};
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::background_task::{BackgroundTask, TaskContext};

/// The handler of a progress future: fires [`progress`](Self::progress) with each report.
///
/// A future dereferences to its handler, so `future.progress` is this field. Executors make the
/// handler; build one yourself only to drive a detached future in a test:
///
/// ```
/// use traits_futures::{testing::Recorder, ProgressFuture, ProgressHandler, TaskMessage};
/// let future: ProgressFuture<u8, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
/// let reports = Recorder::event(&future.progress);
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Custom(50))?;
/// future.receive(TaskMessage::Custom(100))?;
/// future.receive(TaskMessage::Returned(()))?;
/// assert_eq!(reports.values(), [50, 100]);
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
pub struct ProgressHandler<P, T, E = TaskCancelled> {
    /// Every progress report, in order (lossless). `progress.signal()` is the latest one.
    pub progress: Event<P>,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<P: 'static, T, E> Default for ProgressHandler<P, T, E> {
    fn default() -> Self {
        ProgressHandler {
            progress: Event::new(),
            _types: PhantomData,
        }
    }
}

impl<P, T, E> fmt::Debug for ProgressHandler<P, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHandler")
    }
}

impl<P: Send + 'static, T: Send + 'static, E: Send + 'static> FutureHandler
    for ProgressHandler<P, T, E>
{
    type Message = P;
    type Output = T;
    type Error = E;
    fn on_message(&self, report: P) {
        self.progress.fire(report);
    }
}

/// The future of a progress task: reports of type `P` through
/// [`progress`](TaskFuture::progress), then a result of type `T`.
///
/// `E` is the task's error type: [`TaskCancelled`] unless the task can fail in other ways
/// ([`submit_try_progress`]), so that `reporter.report(p)?` works in the task.
///
/// ```
/// use traits_futures::{submit_progress, ProgressFuture, SubmitError, TraitsExecutor};
///
/// /// Sums `n` numbers, reporting (done, total) every 100.
/// fn slow_sum(executor: &TraitsExecutor, n: u64) -> Result<ProgressFuture<(u64, u64), u64>, SubmitError> {
///     submit_progress(executor, move |reporter| {
///         let mut sum = 0;
///         for i in 0..n {
///             if i % 100 == 0 {
///                 reporter.report((i, n))?;
///             }
///             sum += i;
///         }
///         Ok(sum)
///     })
/// }
///
/// let executor = TraitsExecutor::new();
/// let future = slow_sum(&executor, 1000)?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&499_500));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ProgressFuture<P, T, E = TaskCancelled> = TaskFuture<ProgressHandler<P, T, E>>;

impl<P: Send + 'static, T: Send + 'static, E: Send + 'static> TaskFuture<ProgressHandler<P, T, E>> {
    /// The event fired with each progress report, in order.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{submit_progress, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_progress(&executor, |reporter| {
    ///     for step in 0..=2 { reporter.report((step, 2))?; }
    ///     Ok("done")
    /// })?;
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let _g = future.progress().observe({ let s = seen.clone(); move |p| s.borrow_mut().push(*p) });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(*seen.borrow(), [(0, 2), (1, 2), (2, 2)]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(&self) -> &Event<P> {
        &self.handler().progress
    }
}

/// Handed to a progress task: reports progress to the main thread.
///
/// Once the future is cancelled, [`report`](Self::report) sends nothing and returns
/// `Err(TaskCancelled)`, so `?` ends the task and the future ends `Cancelled`:
///
/// ```
/// use std::sync::mpsc;
/// use traits_futures::{submit_progress, testing::Recorder, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let (go, gate) = mpsc::channel::<()>();
/// let future = submit_progress(&executor, move |reporter| {
///     gate.recv().unwrap(); // wait until the main thread has cancelled
///     reporter.report(1)?; // returns Err(TaskCancelled): the task ends here
///     Ok("never reached")
/// })?;
/// let reports = Recorder::event(future.progress());
/// future.cancel();
/// go.send(())?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.state().get(), FutureState::Cancelled);
/// assert!(reports.values().is_empty());
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProgressReporter<'a, P> {
    context: &'a TaskContext<'a, P>,
}

impl<P> ProgressReporter<'_, P> {
    /// Sends a progress report, or returns `Err(TaskCancelled)` without sending once the task has
    /// been cancelled, so that `?` ends the task (which then ends `Cancelled`, not `Failed`).
    ///
    /// ```
    /// # use traits_futures::{ProgressReporter, TaskCancelled};
    /// fn copy_files(files: &[&str], reporter: &ProgressReporter<'_, usize>) -> Result<(), TaskCancelled> {
    ///     for (done, _file) in files.iter().enumerate() {
    ///         reporter.report(done)?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn report(&self, progress: P) -> Result<(), TaskCancelled> {
        self.context.send(progress)
    }

    /// Whether the task has been cancelled.
    ///
    /// ```
    /// # use traits_futures::ProgressReporter;
    /// fn spin(reporter: &ProgressReporter<'_, ()>) { while !reporter.cancelled() { break } }
    /// ```
    pub fn cancelled(&self) -> bool {
        self.context.cancelled()
    }
}

struct ProgressTask<F, P>(F, PhantomData<fn() -> P>);

impl<F, P, T, E> BackgroundTask for ProgressTask<F, P>
where
    F: FnOnce(&ProgressReporter<'_, P>) -> Result<T, E> + Send + 'static,
    P: Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Message = P;
    type Output = T;
    type Error = E;
    fn run(self, context: &TaskContext<'_, P>) -> Result<T, E> {
        (self.0)(&ProgressReporter { context })
    }
}

/// Runs `f` on a worker with a [`ProgressReporter`]; reports arrive in order through
/// [`progress`](TaskFuture::progress), and `f`'s `Ok` value becomes the result.
///
/// `f` returns `Result<T, TaskCancelled>` so that `reporter.report(..)?` ends it once cancelled
/// (the future then ends `Cancelled`). For a task with its own error type, use
/// [`submit_try_progress`].
///
/// ```
/// use traits_futures::{submit_progress, FutureState, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_progress(&executor, |reporter| {
///     let mut sum = 0;
///     for i in 0..=3 {
///         reporter.report((i, 3))?;
///         sum += i;
///     }
///     Ok(sum)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&6));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_progress<P, T, F>(
    executor: &TraitsExecutor,
    f: F,
) -> Result<ProgressFuture<P, T>, SubmitError>
where
    F: FnOnce(&ProgressReporter<'_, P>) -> Result<T, TaskCancelled> + Send + 'static,
    P: Send + 'static,
    T: Send + 'static,
{
    executor.submit((ProgressHandler::default(), ProgressTask(f, PhantomData)))
}

/// Like [`submit_progress`], for a task with its own error type `E`: `Err(e)` fails the future
/// with [`TaskError::Error(e)`](crate::TaskError::Error). `E` must convert from
/// [`TaskCancelled`] so that `reporter.report(..)?` compiles.
///
/// ```
/// use traits_futures::{submit_try_progress, FutureState, TaskCancelled, TaskError, TraitsExecutor};
///
/// #[derive(Debug, PartialEq)]
/// enum CopyError { Cancelled, DiskFull }
/// impl From<TaskCancelled> for CopyError {
///     fn from(_: TaskCancelled) -> Self { CopyError::Cancelled }
/// }
///
/// let executor = TraitsExecutor::new();
/// let future = submit_try_progress(&executor, |reporter| {
///     reporter.report(1)?;
///     Err::<(), _>(CopyError::DiskFull)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.error(), Ok(&TaskError::Error(CopyError::DiskFull)));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_try_progress<P, T, E, F>(
    executor: &TraitsExecutor,
    f: F,
) -> Result<ProgressFuture<P, T, E>, SubmitError>
where
    F: FnOnce(&ProgressReporter<'_, P>) -> Result<T, E> + Send + 'static,
    E: From<TaskCancelled> + Send + 'static,
    P: Send + 'static,
    T: Send + 'static,
{
    executor.submit((ProgressHandler::default(), ProgressTask(f, PhantomData)))
}
