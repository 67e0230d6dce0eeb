//! The thread side of a process task: a [`BackgroundTask`] that runs on the executor's worker
//! pool, leases a child, sends it the task and relays its frames to the future; and the submit
//! functions that make one.
//!
//! Because the relay is an ordinary background task, the future, its state machine, the
//! routing of its messages (ordered, lossless) and the executor's stop are a thread task's.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::SubmitError;
use crate::executor::traits_executor::TraitsExecutor;
use crate::process::error::ProcessError;
use crate::process::pool::{Lease, PoolShared, ProcessPool};
use crate::process::task::{ProcessCall, ProcessTask};
use crate::process::wire;
use crate::process::worker::Event;
use crate::routing::background_task::{BackgroundTask, TaskContext};
use crate::tasks::call::{CallFuture, CallHandler};
use crate::tasks::iteration::{IterationFuture, IterationHandler};
use crate::tasks::progress::{ProgressFuture, ProgressHandler};

/// A task's input and where it runs, as the relay needs them.
struct Job<I> {
    pool: Arc<PoolShared>,
    name: &'static str,
    input: I,
}

impl<I> Job<I> {
    fn new(pool: &ProcessPool, name: &'static str, input: I) -> Self {
        Job {
            pool: Arc::clone(pool.shared()),
            name,
            input,
        }
    }
}

/// Why delivering a message stopped the relay.
enum Stop<E> {
    Cancelled,
    Broken(ProcessError<E>),
}

fn decode<V: DeserializeOwned, E>(bytes: &[u8], what: &str) -> Result<V, ProcessError<E>> {
    postcard::from_bytes(bytes)
        .map_err(|e| ProcessError::Protocol(format!("could not decode the task's {what}: {e}")))
}

/// Runs `job` in a child: leases one, sends it the task, hands each message to `deliver` and
/// returns the task's outcome. A cancel (seen while waiting, or by `deliver`) goes to
/// [`cancel`]; a broken stream or a crash ends the child (the lease's drop, or `ended`).
fn relay<I, C, T, E>(
    job: Job<I>,
    context: &TaskContext<'_, C>,
    mut deliver: impl FnMut(&[u8]) -> Result<(), Stop<E>>,
) -> Result<T, ProcessError<E>>
where
    I: Serialize,
    T: DeserializeOwned,
    E: DeserializeOwned,
{
    let Job { pool, name, input } = job;
    let input = postcard::to_allocvec(&input)
        .map_err(|e| ProcessError::Protocol(format!("could not encode the input: {e}")))?;
    let mut lease = pool.checkout(context)?;
    if !lease.worker().greeted() {
        lease = greeted(lease, context, pool.start_timeout())?;
    }
    // A child that died meanwhile shows as the end of its output, below.
    let _ = lease
        .worker()
        .send(wire::RUN, &wire::run_payload(name, &input));
    drop(input);
    loop {
        let Ok(event) = lease.worker().next_event(context) else {
            return Err(cancel(lease, pool.grace()));
        };
        match event {
            Event::Greeted => {}
            Event::Frame(wire::MESSAGE, bytes) => match deliver(&bytes) {
                Ok(()) => {}
                Err(Stop::Cancelled) => return Err(cancel(lease, pool.grace())),
                Err(Stop::Broken(error)) => return Err(error), // the lease's drop ends the child
            },
            Event::Frame(wire::RETURNED, bytes) => {
                lease.release();
                return decode(&bytes, "result");
            }
            Event::Frame(wire::ERROR, bytes) => {
                lease.release();
                return Err(ProcessError::Task(decode(&bytes, "error")?));
            }
            Event::Frame(wire::PANICKED, bytes) => {
                lease.release();
                // The child caught the panic: it fails the future as a thread's would, with
                // its message (and without calling the panic hook again here).
                let message = String::from_utf8_lossy(&bytes).into_owned();
                std::panic::resume_unwind(Box::new(message));
            }
            Event::Frame(wire::UNKNOWN, _) => {
                lease.release();
                return Err(ProcessError::UnknownTask(name.to_string()));
            }
            Event::Frame(tag, _) => {
                return Err(ProcessError::Protocol(format!(
                    "an unexpected frame ({tag})"
                )));
            }
            Event::End { greeted, error } => {
                let crash = lease.take().ended(greeted, error);
                // A child killed by the pool's shutdown did not crash.
                return Err(if pool.is_closed() {
                    ProcessError::PoolClosed
                } else {
                    crash
                });
            }
        }
    }
}

/// A call's relay: it sends no messages.
struct CallRelay<I, T, E>(Job<I>, PhantomData<fn() -> (T, E)>);

impl<I, T, E> BackgroundTask for CallRelay<I, T, E>
where
    I: Serialize + Send + 'static,
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    type Message = Infallible;
    type Output = T;
    type Error = ProcessError<E>;

    fn run(self, context: &TaskContext<'_, Infallible>) -> Result<T, ProcessError<E>> {
        relay(self.0, context, |_| {
            Err(Stop::Broken(ProcessError::Protocol(
                "a call sent a message".to_string(),
            )))
        })
    }
}

/// The relay of a task with messages: each is decoded and sent to the future.
struct MessageRelay<I, M, T, E>(Job<I>, Types<M, T, E>);

/// The types a relay decodes.
type Types<M, T, E> = PhantomData<fn() -> (M, T, E)>;

impl<I, M, T, E> BackgroundTask for MessageRelay<I, M, T, E>
where
    I: Serialize + Send + 'static,
    M: DeserializeOwned + Send + 'static,
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    type Message = M;
    type Output = T;
    type Error = ProcessError<E>;

    fn run(self, context: &TaskContext<'_, M>) -> Result<T, ProcessError<E>> {
        relay(self.0, context, |bytes| {
            let message = decode(bytes, "message").map_err(Stop::Broken)?;
            context.send(message).map_err(|_| Stop::Cancelled)
        })
    }
}

/// How often a relay looks at its task's cancel while a new child starts.
const START_LOOK: Duration = Duration::from_millis(20);

/// Waits for a new child's greeting: the lease back once it greeted; `Err` (the child ended)
/// if it ended first, did not greet within `timeout`, or the task was cancelled meanwhile. A
/// child starts in milliseconds; while it does, the relay looks at the cancel every
/// [`START_LOOK`].
fn greeted<C, E>(
    mut lease: Lease,
    context: &TaskContext<'_, C>,
    timeout: Duration,
) -> Result<Lease, ProcessError<E>> {
    let deadline = Instant::now() + timeout;
    loop {
        let look = deadline.min(Instant::now() + START_LOOK);
        match lease.worker().next_event_until(look) {
            Some(Event::Greeted) => {
                lease.worker().mark_greeted();
                return Ok(lease);
            }
            Some(Event::End { greeted, error }) => return Err(lease.take().ended(greeted, error)),
            Some(Event::Frame(tag, _)) => {
                return Err(ProcessError::Protocol(format!(
                    "a frame ({tag}) before the greeting"
                )))
            }
            None if context.cancelled() => {
                lease.take().kill();
                return Err(ProcessError::Cancelled);
            }
            None if Instant::now() >= deadline => {
                lease.take().kill();
                return Err(ProcessError::Spawn(format!(
                    "the child did not greet its parent within {timeout:?} (does `main` call `process::init` first?)"
                )));
            }
            None => {}
        }
    }
}

/// The cancel: asks the child to stop, waits up to `grace` for the task's final frame (the
/// child is then healthy and goes back to the pool), and otherwise kills the child.
fn cancel<E>(mut lease: Lease, grace: Duration) -> ProcessError<E> {
    let deadline = Instant::now() + grace;
    if lease.worker().send(wire::CANCEL, &[]).is_ok() {
        loop {
            match lease.worker().next_event_until(deadline) {
                Some(Event::Greeted | Event::Frame(wire::MESSAGE, _)) => {}
                Some(Event::Frame(
                    wire::RETURNED | wire::ERROR | wire::PANICKED | wire::UNKNOWN,
                    _,
                )) => {
                    lease.release();
                    return ProcessError::Cancelled;
                }
                Some(Event::End { greeted, error }) => {
                    let _ = lease.take().ended::<E>(greeted, error);
                    return ProcessError::Cancelled;
                }
                Some(Event::Frame(..)) | None => break,
            }
        }
    }
    lease.take().kill();
    ProcessError::Cancelled
}

/// Runs the registered call `task` with `input` in a child process of `pool`: the same
/// [`CallFuture`] as [`submit_call`](crate::submit_call)'s, driven by `executor`. The
/// future's error is `TaskError::Error(ProcessError<E>)` for the task's own error or a crash
/// (a signal, an exit), `TaskError::Panicked` for a panic in the child.
///
/// The relay that talks to the child runs on one of the pool's threads while the task runs;
/// the task waits (`Waiting`) until a child is free for it.
///
/// ```
/// use traits_futures::process::{self, submit_process_call, ProcessCall, ProcessPool};
/// use traits_futures::TraitsExecutor;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: ProcessCall<u64, u64> = ProcessCall::new("square", square);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     process::init(&[&SQUARE]);
///     let executor = TraitsExecutor::new();
///     let pool = ProcessPool::builder().max_workers(1).build()?;
///     let future = submit_process_call(&executor, &pool, &SQUARE, 12)?;
///     executor.run_until(|| future.done().get(), None)?;
///     assert_eq!(future.result(), Ok(&144));
///     executor.shutdown(None)?;
///     Ok(())
/// }
/// ```
pub fn submit_process_call<I, T, E>(
    executor: &TraitsExecutor,
    pool: &ProcessPool,
    task: &ProcessCall<I, T, E>,
    input: I,
) -> Result<CallFuture<T, ProcessError<E>>, SubmitError>
where
    I: Serialize + Send + 'static,
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    let relay = CallRelay(Job::new(pool, task.name(), input), PhantomData);
    let shared = pool.shared();
    executor.submit_via((CallHandler::default(), relay), |task| shared.execute(task))
}

/// Runs the registered `task` with `input` in a child process of `pool`, its messages the
/// items of an [`IterationFuture`] (as [`submit_try_generator`](crate::submit_try_generator)'s):
/// each arrives once, in order, through the future's items event; the task's return value is
/// the future's result.
///
/// ```
/// use traits_futures::process::{self, submit_process_iteration, ChildContext, ProcessPool, ProcessTask};
/// use traits_futures::{TaskCancelled, TraitsExecutor};
///
/// fn evens(below: u32, out: &ChildContext<'_, u32>) -> Result<usize, TaskCancelled> {
///     let evens: Vec<u32> = (0..below).filter(|n| n % 2 == 0).collect();
///     for &n in &evens {
///         out.send(n)?;
///     }
///     Ok(evens.len())
/// }
/// const EVENS: ProcessTask<u32, u32, usize> = ProcessTask::new("evens", evens);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     process::init(&[&EVENS]);
///     let executor = TraitsExecutor::new();
///     let pool = ProcessPool::builder().max_workers(1).build()?;
///     let future = submit_process_iteration(&executor, &pool, &EVENS, 7)?;
///     let items = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
///     let seen = items.clone();
///     let _guard = future.items().observe(move |n: &u32| seen.borrow_mut().push(*n));
///     executor.run_until(|| future.done().get(), None)?;
///     assert_eq!(*items.borrow(), [0, 2, 4, 6]);
///     assert_eq!(future.result(), Ok(&4));
///     executor.shutdown(None)?;
///     Ok(())
/// }
/// ```
pub fn submit_process_iteration<I, Y, R, E>(
    executor: &TraitsExecutor,
    pool: &ProcessPool,
    task: &ProcessTask<I, Y, R, E>,
    input: I,
) -> Result<IterationFuture<Y, R, ProcessError<E>>, SubmitError>
where
    I: Serialize + Send + 'static,
    Y: DeserializeOwned + Send + 'static,
    R: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    let relay = MessageRelay(Job::new(pool, task.name(), input), PhantomData);
    let shared = pool.shared();
    executor.submit_via((IterationHandler::default(), relay), |task| {
        shared.execute(task)
    })
}

/// Runs the registered `task` with `input` in a child process of `pool`, its messages the
/// reports of a [`ProgressFuture`] (as [`submit_try_progress`](crate::submit_try_progress)'s,
/// every report delivered, in order): `progress()` is the latest, `reports()` fires for each.
///
/// ```
/// use traits_futures::process::{self, submit_process_progress, ChildContext, ProcessPool, ProcessTask};
/// use traits_futures::{TaskCancelled, TraitsExecutor};
///
/// fn sum(n: u64, progress: &ChildContext<'_, (u64, u64)>) -> Result<u64, TaskCancelled> {
///     let mut total = 0;
///     for i in 1..=n {
///         total += i;
///         progress.report((i, n))?;
///     }
///     Ok(total)
/// }
/// const SUM: ProcessTask<u64, (u64, u64), u64> = ProcessTask::new("sum", sum);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     process::init(&[&SUM]);
///     let executor = TraitsExecutor::new();
///     let pool = ProcessPool::builder().max_workers(1).build()?;
///     let future = submit_process_progress(&executor, &pool, &SUM, 3)?;
///     executor.run_until(|| future.done().get(), None)?;
///     assert_eq!(future.progress().get(), Some((3, 3)));
///     assert_eq!(future.result(), Ok(&6));
///     executor.shutdown(None)?;
///     Ok(())
/// }
/// ```
pub fn submit_process_progress<I, P, T, E>(
    executor: &TraitsExecutor,
    pool: &ProcessPool,
    task: &ProcessTask<I, P, T, E>,
    input: I,
) -> Result<ProgressFuture<P, T, ProcessError<E>>, SubmitError>
where
    I: Serialize + Send + 'static,
    P: DeserializeOwned + Clone + PartialEq + Send + 'static,
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send + 'static,
{
    let relay = MessageRelay(Job::new(pool, task.name(), input), PhantomData);
    let shared = pool.shared();
    executor.submit_via((ProgressHandler::default(), relay), |task| {
        shared.execute(task)
    })
}
