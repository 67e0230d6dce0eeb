//! Background tasks that report progress ([`submit_progress`], [`submit_progress_with`]).
//!
//! The future shows the reports two ways: [`progress`](TaskFuture::progress), the latest
//! delivered report as an observable value (bind it late and still see the current one), and
//! [`reports`](TaskFuture::reports), an event fired with every delivered report. Which reports
//! are delivered is the task's [`ProgressDelivery`]: every one (lossless, the default), or the
//! latest, coalesced on the worker (`delivery.rs`).

use std::any::{Any, TypeId};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use traits_core::{Dependency, Derived, Event, Observable};

use crate::error::{SubmitError, TaskCancelled};
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};

mod delivery;
mod reporter;

pub use delivery::ProgressDelivery;
pub use reporter::ProgressReporter;

use delivery::{Coalescer, LatestSlot};
use reporter::ProgressTask;

/// The handler of a progress future: sets [`progress`](Self::progress) to each delivered report,
/// then fires [`reports`](Self::reports) with it.
///
/// A future dereferences to its handler, so `future.progress` and `future.reports` are these
/// fields. Executors make the handler; build one yourself only to drive a detached future in a
/// test (its delivery is lossless):
///
/// ```
/// use traits_futures::{testing::Recorder, ProgressFuture, ProgressHandler, TaskMessage};
/// let future: ProgressFuture<u8, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
/// let reports = Recorder::event(&future.reports);
/// assert_eq!(future.progress.get(), None);
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Custom(50))?;
/// future.receive(TaskMessage::Custom(100))?;
/// future.receive(TaskMessage::Returned(()))?;
/// assert_eq!(reports.values(), [50, 100]);
/// assert_eq!(future.progress.get(), Some(100));
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
///
/// Like every handler, it delivers nothing once the future is cancelled; a report being
/// delivered when an observer cancels the future is delivered to the end (to
/// [`reports`](Self::reports) too, if an observer of [`progress`](Self::progress) cancelled).
pub struct ProgressHandler<P, T, E = TaskCancelled> {
    /// The latest delivered report: `None` until the first, then the newest. Its observers run
    /// only when the value changes (a report equal to the one before notifies nobody); its
    /// `signal()` starts from the current value, however late it is bound.
    pub progress: Observable<Option<P>>,
    /// Every delivered report, in order: all of them with the lossless delivery
    /// ([`ProgressDelivery::Every`]). Fired after [`progress`](Self::progress) is set, so an
    /// observer reading `progress` sees the report it is handed.
    pub reports: Event<P>,
    /// Latest-value delivery's main-thread side; `None` for the lossless delivery.
    latest: Option<LatestReceiver<P>>,
    _types: PhantomData<fn() -> (T, E)>,
}

/// The future's side of latest-value delivery: the slot it shares with the task, and whether
/// the first report (which is delivered as it is, never replaced) has been handled.
struct LatestReceiver<P> {
    slot: Arc<LatestSlot<P>>,
    first_handled: Cell<bool>,
}

impl<P: Clone + PartialEq + 'static, T, E> ProgressHandler<P, T, E> {
    /// A handler for a task with the given worker side of its delivery.
    fn receiving(coalescer: Option<&Coalescer<P>>) -> Self {
        ProgressHandler {
            progress: Observable::new(None),
            reports: Event::new(),
            latest: coalescer.map(|coalescer| LatestReceiver {
                slot: coalescer.slot(),
                first_handled: Cell::new(false),
            }),
            _types: PhantomData,
        }
    }
}

impl<P: Clone + PartialEq + 'static, T, E> Default for ProgressHandler<P, T, E> {
    fn default() -> Self {
        ProgressHandler::receiving(None)
    }
}

impl<P, T, E> fmt::Debug for ProgressHandler<P, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHandler")
    }
}

impl<P, T, E> FutureHandler for ProgressHandler<P, T, E>
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Message = P;
    type Output = T;
    type Error = E;
    fn on_message(&self, report: P) {
        let report = match &self.latest {
            // After the first, a message stands for the newest report: the slot's, if the
            // task left a newer one there while this message was in flight.
            Some(latest) if latest.first_handled.replace(true) => {
                latest.slot.take().unwrap_or(report)
            }
            _ => report,
        };
        self.progress.set(Some(report.clone()));
        self.reports.fire(report);
    }

    /// For the executor's live futures: the latest report as a fraction, when the report type
    /// is a number (`f64` or `f32`, clamped to 0.0..=1.0) or a `(done, total)` pair of `u32`,
    /// `u64` or `usize`; no progress for other report types.
    fn progress_fraction(&self) -> Option<Derived<Option<f64>>> {
        report_fraction::<P>(None)?;
        let progress = self.progress.clone();
        let fraction =
            move || progress.with(|report| report.as_ref().and_then(|r| report_fraction(Some(r))?));
        Some(Derived::new(&[&self.progress as &dyn Dependency], fraction))
    }
}

/// A report as a fraction: `Some(fraction)` for a report of one of the numeric types
/// [`ProgressHandler::progress_fraction`] knows (`Some(None)` for no report, or a total of 0),
/// `None` for any other type.
fn report_fraction<P: 'static>(report: Option<&P>) -> Option<Option<f64>> {
    fn pair<N: Copy + Into<f64>>(done: N, total: N) -> Option<f64> {
        let total: f64 = total.into();
        (total > 0.0).then(|| (done.into() / total).clamp(0.0, 1.0))
    }
    let id = TypeId::of::<P>();
    let known = [
        TypeId::of::<f64>(),
        TypeId::of::<f32>(),
        TypeId::of::<(u32, u32)>(),
        TypeId::of::<(u64, u64)>(),
        TypeId::of::<(usize, usize)>(),
    ];
    if !known.contains(&id) {
        return None;
    }
    let Some(report) = report else {
        return Some(None);
    };
    let report = report as &dyn Any;
    let fraction = if let Some(&f) = report.downcast_ref::<f64>() {
        Some(f.clamp(0.0, 1.0))
    } else if let Some(&f) = report.downcast_ref::<f32>() {
        Some(f64::from(f).clamp(0.0, 1.0))
    } else if let Some(&(done, total)) = report.downcast_ref::<(u32, u32)>() {
        pair(done, total)
    } else if let Some(&(done, total)) = report.downcast_ref::<(u64, u64)>() {
        // Counts beyond 2^53 lose precision as `f64`, which a fraction does not mind.
        pair(done as f64, total as f64)
    } else if let Some(&(done, total)) = report.downcast_ref::<(usize, usize)>() {
        pair(done as f64, total as f64)
    } else {
        None
    };
    Some(fraction)
}

/// The future of a progress task: reports of type `P` through
/// [`progress`](TaskFuture::progress) (the latest) and [`reports`](TaskFuture::reports)
/// (each), then a result of type `T`.
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
/// assert_eq!(future.progress().get(), Some((900, 1000)));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ProgressFuture<P, T, E = TaskCancelled> = TaskFuture<ProgressHandler<P, T, E>>;

impl<P, T, E> TaskFuture<ProgressHandler<P, T, E>>
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    /// The latest delivered report, as an observable value: `None` until the first report is
    /// delivered, then the newest. Like [`state`](TaskFuture::state), it holds its value from
    /// the moment the future is submitted, so `get()`, `observe()` and `signal()` bound after
    /// reports were delivered start from the current one. Observers run when the value changes;
    /// for every report, [`reports`](TaskFuture::reports).
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal::SignalExt;
    /// use traits_futures::{submit_progress, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_progress(&executor, |reporter| {
    ///     for step in 0..=2 { reporter.report((step, 2))?; }
    ///     Ok("done")
    /// })?;
    /// assert_eq!(future.progress().get(), None);
    /// executor.run_until(|| future.done().get(), None)?;
    /// // Bound after the task finished reporting: the signal starts from the last report.
    /// let fraction = future.progress().signal().map(|p| p.map_or(0.0, |(done, total)| done as f64 / total as f64));
    /// let mut bar = fraction.to_stream();
    /// assert_eq!(block_on(bar.next()), Some(1.0));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(&self) -> &Observable<Option<P>> {
        &self.handler().progress
    }

    /// The event fired with every delivered report, in order, after
    /// [`progress`](TaskFuture::progress) is set to it. With the lossless delivery (the
    /// default) that is every report the task made.
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
    /// let _g = future.reports().observe({ let s = seen.clone(); move |p| s.borrow_mut().push(*p) });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(*seen.borrow(), [(0, 2), (1, 2), (2, 2)]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reports(&self) -> &Event<P> {
        &self.handler().reports
    }
}

/// A progress task's two halves, for the given delivery.
fn spec<P, T, E, F>(
    delivery: ProgressDelivery,
    f: F,
) -> (ProgressHandler<P, T, E>, ProgressTask<F, P>)
where
    P: Clone + PartialEq + 'static,
{
    let coalescer = delivery.coalescer();
    let handler = ProgressHandler::receiving(coalescer.as_ref());
    (handler, ProgressTask { f, coalescer })
}

/// Runs `f` on a worker with a [`ProgressReporter`]; every report arrives, in order, through
/// [`reports`](TaskFuture::reports) and [`progress`](TaskFuture::progress) (the latest), and
/// `f`'s `Ok` value becomes the result. For latest-value delivery, [`submit_progress_with`].
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
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
{
    submit_progress_with(executor, ProgressDelivery::Every, f)
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
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
{
    submit_try_progress_with(executor, ProgressDelivery::Every, f)
}

/// Like [`submit_progress`], with the given [`ProgressDelivery`]: lossless
/// ([`Every`](ProgressDelivery::Every), `submit_progress`'s), or the latest value
/// ([`Latest`](ProgressDelivery::Latest), [`LatestAtMost`](ProgressDelivery::LatestAtMost)),
/// coalesced on the worker so that a task reporting faster than the GUI draws costs the main
/// thread about one message per dispatch. The first and the last reports are always delivered,
/// before the future's final state.
///
/// ```
/// use traits_futures::{submit_progress_with, ProgressDelivery, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
///     let mut checked = 0u64;
///     for n in 0..1_000_000u64 {
///         checked += n % 2;
///         reporter.report(n)?; // cheap: at most one report waits for the main thread
///     }
///     Ok(checked)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.progress().get(), Some(999_999));
/// assert_eq!(future.result(), Ok(&500_000));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_progress_with<P, T, F>(
    executor: &TraitsExecutor,
    delivery: ProgressDelivery,
    f: F,
) -> Result<ProgressFuture<P, T>, SubmitError>
where
    F: FnOnce(&ProgressReporter<'_, P>) -> Result<T, TaskCancelled> + Send + 'static,
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
{
    executor.submit(spec(delivery, f))
}

/// Like [`submit_try_progress`] (a task with its own error type `E`), with the given
/// [`ProgressDelivery`]. A task that fails still delivers its last report before the future
/// becomes `Failed`.
///
/// ```
/// use traits_futures::{submit_try_progress_with, ProgressDelivery, TaskCancelled, TaskError, TraitsExecutor};
///
/// #[derive(Debug, PartialEq)]
/// enum ScanError { Cancelled, Unreadable(u32) }
/// impl From<TaskCancelled> for ScanError {
///     fn from(_: TaskCancelled) -> Self { ScanError::Cancelled }
/// }
///
/// let executor = TraitsExecutor::new();
/// let future = submit_try_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
///     for block in 0..500 {
///         reporter.report(block)?;
///     }
///     Err::<(), _>(ScanError::Unreadable(499))
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.error(), Ok(&TaskError::Error(ScanError::Unreadable(499))));
/// assert_eq!(future.progress().get(), Some(499)); // the last report, before the failure
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_try_progress_with<P, T, E, F>(
    executor: &TraitsExecutor,
    delivery: ProgressDelivery,
    f: F,
) -> Result<ProgressFuture<P, T, E>, SubmitError>
where
    F: FnOnce(&ProgressReporter<'_, P>) -> Result<T, E> + Send + 'static,
    E: From<TaskCancelled> + Send + 'static,
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
{
    executor.submit(spec(delivery, f))
}
