//! The worker's half of a progress task: [`ProgressReporter`], and the [`BackgroundTask`] that
//! runs the user's function with one.

use crate::error::TaskCancelled;
use crate::routing::background_task::{BackgroundTask, TaskContext};

use super::delivery::Coalescer;

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
/// let reports = Recorder::event(future.reports());
/// // Cancel once the task runs (a task cancelled before a worker takes it never runs).
/// executor.run_until(|| future.state().get() == FutureState::Executing, None)?;
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
    /// Latest-value delivery's worker side; `None` for the lossless delivery.
    coalescer: Option<&'a Coalescer<P>>,
}

impl<P> ProgressReporter<'_, P> {
    /// Sends a progress report, or returns `Err(TaskCancelled)` without sending once the task has
    /// been cancelled, so that `?` ends the task (which then ends `Cancelled`, not `Failed`).
    ///
    /// With latest-value delivery ([`ProgressDelivery`](crate::ProgressDelivery)), a report
    /// may be replaced by a newer one before it reaches the main thread.
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
        match self.coalescer {
            None => self.context.send(progress),
            Some(coalescer) => coalescer.report(self.context, progress),
        }
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

/// Sends a report held back by a rate limit when the task's function ends, returning or
/// unwinding, so that the last report precedes the final message in every case.
struct FlushOnExit<'a, P>(&'a ProgressReporter<'a, P>);

impl<P> Drop for FlushOnExit<'_, P> {
    fn drop(&mut self) {
        if let Some(coalescer) = self.0.coalescer {
            coalescer.flush(self.0.context);
        }
    }
}

/// A progress task: the user's function, and the worker's side of its delivery.
pub(super) struct ProgressTask<F, P> {
    pub(super) f: F,
    pub(super) coalescer: Option<Coalescer<P>>,
}

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
        let reporter = ProgressReporter {
            context,
            coalescer: self.coalescer.as_ref(),
        };
        let _flush = FlushOnExit(&reporter);
        (self.f)(&reporter)
    }
}
