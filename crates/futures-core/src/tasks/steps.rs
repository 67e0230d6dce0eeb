//! Background tasks that report structured progress: steps with a message, a total and a count
//! of complete steps ([`submit_steps`], [`submit_try_steps`]).
//!
//! Written on the public custom-task API only (a [`FutureHandler`] here and a
//! [`BackgroundTask`](crate::BackgroundTask) in [`reporter`]), as a user's own task type would
//! be; the guide's chapter on custom task types walks through it.

use std::fmt;
use std::marker::PhantomData;

use traits_core::{Derived, Observable};

use crate::error::{SubmitError, TaskCancelled};
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::tasks::steps::reporter::{StepsReporter, StepsTask};

pub(crate) mod reporter;

/// Where a steps task is: what it is doing, how many steps there are, how many are complete.
///
/// It is both the message a [`StepsReporter`] sends and the record a [`StepsHandler`] keeps.
/// The default is what a future shows before the task's first report: no message, an
/// indeterminate total, nothing complete.
///
/// ```
/// use traits_futures::Steps;
/// let copying = Steps { message: "copying b.txt".into(), total: Some(4), complete: 1 };
/// assert_eq!(copying.fraction(), Some(0.25));
/// assert_eq!(Steps::default().fraction(), None); // indeterminate
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Steps {
    /// What the task is doing now, for a label ("copying b.txt").
    pub message: String,
    /// How many steps there are, or `None` while that is not known (indeterminate: a progress
    /// bar shows activity, not a proportion).
    pub total: Option<u64>,
    /// How many steps are complete. A [`StepsHandler`] keeps it at most `total`.
    pub complete: u64,
}

impl Steps {
    /// The fraction complete, from 0.0 to 1.0, or `None` while the total is indeterminate.
    /// A total of zero steps is all done (1.0).
    ///
    /// ```
    /// use traits_futures::Steps;
    /// let half = Steps { message: String::new(), total: Some(10), complete: 5 };
    /// assert_eq!(half.fraction(), Some(0.5));
    /// let nothing_to_do = Steps { message: String::new(), total: Some(0), complete: 0 };
    /// assert_eq!(nothing_to_do.fraction(), Some(1.0));
    /// ```
    pub fn fraction(&self) -> Option<f64> {
        match self.total {
            None => None,
            Some(0) => Some(1.0),
            // Integer to float: exact below 2^53 steps, and a proportion after that.
            Some(total) => Some((self.complete as f64 / total as f64).min(1.0)),
        }
    }
}

/// The handler of a steps future: one record of the task's progress ([`Steps`]) and read-only
/// views of it, each an observable property ([`Derived`]).
///
/// A future dereferences to its handler, so these are the future's methods:
/// `future.message()`, `future.total()`, `future.complete()`, `future.fraction()` and
/// `future.steps()` (the whole record).
///
/// # One report, applied at once
/// Each report replaces the whole record before any observer runs, and every view reads the
/// record: an observer of one view that reads another (`future.total().get()` from an
/// observer of `message()`) sees the same report. Observers then run in the order
/// `steps()`, `message()`, `total()`, `complete()`, `fraction()`, each only if its value
/// changed.
///
/// # A count beyond the total
/// The handler keeps `complete` at most `total`: a report of 5 complete out of 3 shows 3 of 3.
/// It is not an error (a task that miscounts its steps still runs to its end), and the
/// reporter keeps its own count, so a task that raises its total later shows that count.
///
/// Executors make the handler; build one yourself only to drive a detached future in a test:
///
/// ```
/// use traits_futures::{testing::Recorder, Steps, StepsFuture, StepsHandler, TaskMessage};
/// let future: StepsFuture<()> = StepsFuture::detached(StepsHandler::default(), || {});
/// let messages = Recorder::derived(future.message());
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Custom(Steps { message: "one".into(), total: Some(2), complete: 1 }))?;
/// future.receive(TaskMessage::Custom(Steps { message: "two".into(), total: Some(2), complete: 9 }))?;
/// assert_eq!(messages.values(), ["", "one", "two"]);
/// assert_eq!(future.complete().get(), 2); // kept at most the total
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
pub struct StepsHandler<T, E = TaskCancelled> {
    /// The record; private, so that only the task changes it.
    record: Observable<Steps>,
    steps: Derived<Steps>,
    message: Derived<String>,
    total: Derived<Option<u64>>,
    complete: Derived<u64>,
    fraction: Derived<Option<f64>>,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> Default for StepsHandler<T, E> {
    fn default() -> Self {
        let record = Observable::new(Steps::default());
        // Created in the order their observers run (dependents run in registration order).
        StepsHandler {
            steps: record.map(Steps::clone),
            message: record.map(|steps| steps.message.clone()),
            total: record.map(|steps| steps.total),
            complete: record.map(|steps| steps.complete),
            fraction: record.map(Steps::fraction),
            record,
            _types: PhantomData,
        }
    }
}

impl<T, E> fmt::Debug for StepsHandler<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StepsHandler")
            .field(&self.record.get())
            .finish()
    }
}

impl<T, E> StepsHandler<T, E> {
    /// The whole record: one observer for a progress dialog's label and bar together.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_steps(&executor, |steps| {
    ///     steps.start(Some(2), "reading")?;
    ///     steps.step("parsing")?;
    ///     steps.step("done")?;
    ///     Ok(())
    /// })?;
    /// let lines = Rc::new(RefCell::new(Vec::new()));
    /// let _g = future.steps().observe({
    ///     let lines = lines.clone();
    ///     move |_, s| lines.borrow_mut().push(format!("{} ({}/{})", s.message, s.complete, s.total.unwrap_or(0)))
    /// });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(*lines.borrow(), ["reading (0/2)", "parsing (1/2)", "done (2/2)"]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn steps(&self) -> &Derived<Steps> {
        &self.steps
    }

    /// What the task is doing now (empty until its first report).
    ///
    /// ```
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_steps(&executor, |steps| steps.start(None, "looking around"))?;
    /// assert_eq!(future.message().get(), "");
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.message().get(), "looking around");
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &Derived<String> {
        &self.message
    }

    /// How many steps there are; `None` while indeterminate (the task has not said, or said
    /// it does not know).
    ///
    /// ```
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_steps(&executor, |steps| steps.start(Some(12), "counting"))?;
    /// assert_eq!(future.total().get(), None);
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.total().get(), Some(12));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total(&self) -> &Derived<Option<u64>> {
        &self.total
    }

    /// How many steps are complete (at most [`total`](Self::total) when that is known).
    ///
    /// ```
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_steps(&executor, |steps| {
    ///     steps.start(Some(3), "working")?;
    ///     steps.set_complete(2, "two thirds")
    /// })?;
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.complete().get(), 2);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complete(&self) -> &Derived<u64> {
        &self.complete
    }

    /// The fraction complete, from 0.0 to 1.0, or `None` while indeterminate
    /// ([`Steps::fraction`]): what a progress bar binds to.
    ///
    /// ```
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_steps(&executor, |steps| {
    ///     steps.start(Some(4), "working")?;
    ///     steps.step("a quarter")
    /// })?;
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(future.fraction().get(), Some(0.25));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fraction(&self) -> &Derived<Option<f64>> {
        &self.fraction
    }
}

impl<T: Send + 'static, E: Send + 'static> FutureHandler for StepsHandler<T, E> {
    type Message = Steps;
    type Output = T;
    type Error = E;
    fn on_message(&self, mut steps: Steps) {
        if let Some(total) = steps.total {
            steps.complete = steps.complete.min(total);
        }
        self.record.set(steps);
    }

    /// [`fraction`](Self::fraction), for the executor's live futures.
    fn progress_fraction(&self) -> Option<Derived<Option<f64>>> {
        Some(self.fraction.clone())
    }
}

/// The future of a steps task: progress as [`Steps`] (a message, a total, a count), each an
/// observable property, then a result of type `T`.
///
/// `E` is the task's error type: [`TaskCancelled`] unless the task can fail in other ways
/// ([`submit_try_steps`]). The observables are the handler's ([`StepsHandler`]), reached
/// through the future.
///
/// ```
/// use traits_futures::{submit_steps, StepsFuture, SubmitError, TraitsExecutor};
///
/// /// Copies each file, one step each.
/// fn copy_files(executor: &TraitsExecutor, files: Vec<String>) -> Result<StepsFuture<usize>, SubmitError> {
///     submit_steps(executor, move |steps| {
///         steps.start(Some(files.len() as u64), "preparing")?;
///         for file in &files {
///             steps.step(format!("copied {file}"))?;
///         }
///         Ok(files.len())
///     })
/// }
///
/// let executor = TraitsExecutor::new();
/// let future = copy_files(&executor, vec!["a".into(), "b".into()])?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&2));
/// assert_eq!(future.message().get(), "copied b");
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type StepsFuture<T, E = TaskCancelled> = TaskFuture<StepsHandler<T, E>>;

/// Runs `f` on a worker with a [`StepsReporter`]; its reports arrive in order as the future's
/// [`message`](StepsHandler::message), [`total`](StepsHandler::total) and
/// [`complete`](StepsHandler::complete), and `f`'s `Ok` value becomes the result.
///
/// `f` returns `Result<T, TaskCancelled>` so that `steps.step(..)?` ends it once cancelled
/// (the future then ends `Cancelled`). For a task with its own error type, use
/// [`submit_try_steps`].
///
/// ```
/// use traits_futures::{submit_steps, testing::Recorder, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_steps(&executor, |steps| {
///     steps.start(Some(3), "mixing")?;
///     for colour in ["red", "green", "blue"] {
///         steps.step(format!("added {colour}"))?;
///     }
///     Ok("grey")
/// })?;
/// let complete = Recorder::derived(future.complete());
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(complete.values(), [0, 1, 2, 3]);
/// assert_eq!(future.result(), Ok(&"grey"));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_steps<T, F>(executor: &TraitsExecutor, f: F) -> Result<StepsFuture<T>, SubmitError>
where
    F: FnOnce(&StepsReporter<'_>) -> Result<T, TaskCancelled> + Send + 'static,
    T: Send + 'static,
{
    executor.submit((StepsHandler::default(), StepsTask(f)))
}

/// Like [`submit_steps`], for a task with its own error type `E`: `Err(e)` fails the future
/// with [`TaskError::Error(e)`](crate::TaskError::Error), after the steps it reported. `E` must
/// convert from [`TaskCancelled`] so that `steps.step(..)?` compiles.
///
/// ```
/// use traits_futures::{submit_try_steps, TaskCancelled, TaskError, TraitsExecutor};
///
/// #[derive(Debug, PartialEq)]
/// enum BackupError { Cancelled, DiskFull }
/// impl From<TaskCancelled> for BackupError {
///     fn from(_: TaskCancelled) -> Self { BackupError::Cancelled }
/// }
///
/// let executor = TraitsExecutor::new();
/// let future = submit_try_steps(&executor, |steps| {
///     steps.start(Some(2), "backing up photos")?;
///     steps.step("backing up music")?;
///     Err::<(), _>(BackupError::DiskFull)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.error(), Ok(&TaskError::Error(BackupError::DiskFull)));
/// assert_eq!(future.message().get(), "backing up music"); // where it stopped
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_try_steps<T, E, F>(
    executor: &TraitsExecutor,
    f: F,
) -> Result<StepsFuture<T, E>, SubmitError>
where
    F: FnOnce(&StepsReporter<'_>) -> Result<T, E> + Send + 'static,
    E: From<TaskCancelled> + Send + 'static,
    T: Send + 'static,
{
    executor.submit((StepsHandler::default(), StepsTask(f)))
}
