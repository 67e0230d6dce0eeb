//! Background calls: run one closure, get its value ([`submit_call`], [`submit_try_call`]).

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use crate::error::SubmitError;
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::background_task::{BackgroundTask, TaskContext};

/// The handler of a call future: a call sends no messages besides its result.
///
/// Executors make it for you; build one yourself only to drive a detached future in a test:
///
/// ```
/// use traits_futures::{CallFuture, CallHandler, FutureState, TaskMessage};
/// let future: CallFuture<u8> = CallFuture::detached(CallHandler::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Returned(7))?;
/// assert_eq!(future.state().get(), FutureState::Completed);
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
pub struct CallHandler<T, E = Infallible> {
    _types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> Default for CallHandler<T, E> {
    fn default() -> Self {
        CallHandler {
            _types: PhantomData,
        }
    }
}

impl<T, E> fmt::Debug for CallHandler<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallHandler")
    }
}

impl<T: Send + 'static, E: Send + 'static> FutureHandler for CallHandler<T, E> {
    type Message = Infallible;
    type Output = T;
    type Error = E;
    fn on_message(&self, message: Infallible) {
        match message {}
    }
}

/// The future of a background call: `result()` is the closure's value once `Completed`.
///
/// `E` is the error type of a fallible call ([`submit_try_call`]); infallible calls can only
/// fail by panicking. Name the type where a future is kept, for example beside the widgets that
/// show it:
///
/// ```
/// use traits_futures::{submit_call, CallFuture, SubmitError, TraitsExecutor};
///
/// struct Checksum {
///     job: Option<CallFuture<u32>>,
/// }
///
/// impl Checksum {
///     fn start(&mut self, executor: &TraitsExecutor, data: Vec<u8>) -> Result<(), SubmitError> {
///         if let Some(old) = self.job.take() {
///             old.cancel(); // a new request replaces the running one
///         }
///         let sum = move || data.iter().map(|&b| u32::from(b)).sum();
///         self.job = Some(submit_call(executor, sum)?);
///         Ok(())
///     }
/// }
///
/// let executor = TraitsExecutor::new();
/// let mut checksum = Checksum { job: None };
/// checksum.start(&executor, vec![1, 2, 3])?;
/// let job = checksum.job.as_ref().unwrap();
/// executor.run_until(|| job.done().get(), None)?;
/// assert_eq!(job.result(), Ok(&6));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type CallFuture<T, E = Infallible> = TaskFuture<CallHandler<T, E>>;

struct CallTask<F>(F);

impl<F, T, E> BackgroundTask for CallTask<F>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Message = Infallible;
    type Output = T;
    type Error = E;
    fn run(self, _: &TaskContext<'_, Infallible>) -> Result<T, E> {
        (self.0)()
    }
}

/// Runs `f` on a worker; its return value becomes the future's result.
///
/// Arguments travel in the closure's captures. A panic in `f` makes the future `Failed` with the
/// panic message. The closure is never run if the future is cancelled before a worker takes it.
///
/// ```
/// use traits_futures::{submit_call, FutureState, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let (base, exponent) = (2u32, 3);
/// let future = submit_call(&executor, move || base.pow(exponent))?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&8));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_call<T, F>(executor: &TraitsExecutor, f: F) -> Result<CallFuture<T>, SubmitError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    executor.submit((
        CallHandler::default(),
        CallTask(move || Ok::<T, Infallible>(f())),
    ))
}

/// Runs a fallible `f` on a worker: `Ok(value)` completes the future, `Err(e)` fails it with
/// [`TaskError::Error(e)`](crate::TaskError::Error), typed.
///
/// ```
/// use traits_futures::{submit_try_call, FutureState, TaskError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_try_call(&executor, || "forty-two".parse::<u32>())?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.state().get(), FutureState::Failed);
/// let Ok(TaskError::Error(parse_error)) = future.error() else { panic!() };
/// assert_eq!(parse_error.to_string(), "invalid digit found in string");
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_try_call<T, E, F>(
    executor: &TraitsExecutor,
    f: F,
) -> Result<CallFuture<T, E>, SubmitError>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    executor.submit((CallHandler::default(), CallTask(f)))
}
