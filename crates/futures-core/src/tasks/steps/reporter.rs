//! The worker half of a steps task: [`StepsReporter`], which keeps the task's [`Steps`] and
//! sends the whole record with each report, and the [`BackgroundTask`] that hands it to the
//! task's closure.

use std::cell::RefCell;
use std::fmt;

use crate::error::TaskCancelled;
use crate::routing::background_task::{BackgroundTask, TaskContext};
use crate::tasks::steps::Steps;

/// Handed to a steps task: reports its steps to the main thread.
///
/// The reporter keeps the task's [`Steps`] and sends the whole record with each report, so the
/// future shows exactly what the task last reported. Once the future is cancelled, every
/// report sends nothing and returns `Err(TaskCancelled)`, so `?` ends the task and the future
/// ends `Cancelled`:
///
/// ```
/// use std::sync::mpsc;
/// use traits_futures::{submit_steps, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let (go, gate) = mpsc::channel::<()>();
/// let future = submit_steps(&executor, move |steps| {
///     gate.recv().unwrap(); // wait until the main thread has cancelled
///     steps.start(Some(10), "starting")?; // Err(TaskCancelled): the task ends here
///     Ok("never reached")
/// })?;
/// executor.run_until(|| future.state().get() == FutureState::Executing, None)?; // it holds the gate
/// future.cancel();
/// go.send(())?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.state().get(), FutureState::Cancelled);
/// assert_eq!(future.message().get(), ""); // nothing was delivered
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StepsReporter<'a> {
    context: &'a TaskContext<'a, Steps>,
    /// What the task has reported so far, the count unclamped.
    state: RefCell<Steps>,
}

impl fmt::Debug for StepsReporter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StepsReporter").field(&self.state).finish()
    }
}

impl StepsReporter<'_> {
    /// Changes the record with `change`, then sends it; or, once cancelled, changes nothing,
    /// sends nothing and returns `Err(TaskCancelled)`.
    fn report(&self, change: impl FnOnce(&mut Steps)) -> Result<(), TaskCancelled> {
        if self.context.cancelled() {
            return Err(TaskCancelled);
        }
        let mut state = self.state.borrow_mut();
        change(&mut state);
        self.context.send(state.clone())
    }

    /// Starts (or restarts) the steps: `total` steps (`None`: indeterminate), none complete,
    /// and `message`.
    ///
    /// ```
    /// # use traits_futures::{StepsReporter, TaskCancelled};
    /// fn scan(steps: &StepsReporter<'_>) -> Result<(), TaskCancelled> {
    ///     steps.start(None, "counting files")?; // how many is not known yet
    ///     steps.start(Some(120), "scanning")?; // now it is
    ///     Ok(())
    /// }
    /// ```
    pub fn start(
        &self,
        total: Option<u64>,
        message: impl Into<String>,
    ) -> Result<(), TaskCancelled> {
        let message = message.into();
        self.report(|steps| {
            *steps = Steps {
                message,
                total,
                complete: 0,
            }
        })
    }

    /// Completes one more step, and says what the task does next (or has just done).
    ///
    /// ```
    /// # use traits_futures::{StepsReporter, TaskCancelled};
    /// fn resize(images: &[&str], steps: &StepsReporter<'_>) -> Result<(), TaskCancelled> {
    ///     steps.start(Some(images.len() as u64), "resizing")?;
    ///     for image in images {
    ///         steps.step(format!("resized {image}"))?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn step(&self, message: impl Into<String>) -> Result<(), TaskCancelled> {
        let message = message.into();
        self.report(|steps| {
            steps.complete = steps.complete.saturating_add(1);
            steps.message = message;
        })
    }

    /// Sets how many steps are complete, with a message: for a task that completes several
    /// steps at once, or counts them itself. The future shows at most the total.
    ///
    /// ```
    /// # use traits_futures::{StepsReporter, TaskCancelled};
    /// fn download(chunks: u64, steps: &StepsReporter<'_>) -> Result<(), TaskCancelled> {
    ///     steps.start(Some(chunks), "downloading")?;
    ///     for done in (0..=chunks).step_by(8) {
    ///         steps.set_complete(done, format!("{done} of {chunks} chunks"))?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn set_complete(
        &self,
        complete: u64,
        message: impl Into<String>,
    ) -> Result<(), TaskCancelled> {
        let message = message.into();
        self.report(|steps| {
            steps.complete = complete;
            steps.message = message;
        })
    }

    /// Changes the total (`None`: indeterminate), keeping the message and the count: for a
    /// task that learns more about its work as it goes.
    ///
    /// ```
    /// # use traits_futures::{StepsReporter, TaskCancelled};
    /// fn crawl(steps: &StepsReporter<'_>) -> Result<(), TaskCancelled> {
    ///     steps.start(Some(1), "fetching the index")?;
    ///     steps.step("found 40 pages")?;
    ///     steps.set_total(Some(41))?; // the index, and the pages it lists
    ///     Ok(())
    /// }
    /// ```
    pub fn set_total(&self, total: Option<u64>) -> Result<(), TaskCancelled> {
        self.report(|steps| steps.total = total)
    }

    /// Changes the message, keeping the total and the count.
    ///
    /// ```
    /// # use traits_futures::{StepsReporter, TaskCancelled};
    /// fn finish(steps: &StepsReporter<'_>) -> Result<(), TaskCancelled> {
    ///     steps.set_message("cleaning up")
    /// }
    /// ```
    pub fn set_message(&self, message: impl Into<String>) -> Result<(), TaskCancelled> {
        let message = message.into();
        self.report(|steps| steps.message = message)
    }

    /// Whether the task has been cancelled: check it during long stretches between reports.
    ///
    /// ```
    /// # use traits_futures::StepsReporter;
    /// fn spin(steps: &StepsReporter<'_>) -> u64 {
    ///     let mut turns = 0;
    ///     while !steps.cancelled() && turns < 1_000 { turns += 1; }
    ///     turns
    /// }
    /// ```
    pub fn cancelled(&self) -> bool {
        self.context.cancelled()
    }
}

pub(super) struct StepsTask<F>(pub(super) F);

impl<F, T, E> BackgroundTask for StepsTask<F>
where
    F: FnOnce(&StepsReporter<'_>) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Message = Steps;
    type Output = T;
    type Error = E;
    fn run(self, context: &TaskContext<'_, Steps>) -> Result<T, E> {
        (self.0)(&StepsReporter {
            context,
            state: RefCell::new(Steps::default()),
        })
    }
}
