//! Worker threads and pools: concurrent tasks, the `max_workers` bound, a shared pool that
//! outlives its executors, an executor that starts nothing until it gets a task, and which
//! halves are `Send`: behaviour e74 and e76–e80.
//!
//! Tests that need a busy pool block their tasks on channels or barriers, never on sleeps. The
//! thread-count parts of e79 and e80 live in `tests/threads.rs`, which counts the process's
//! threads and so must run in its own test binary.

use crate::common;
use common::executor::{blocking_call, wait_for, Flag};

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_generator, BuildError, CallFuture, FutureState, IterationFuture, Job,
    SubmitError, TaskCancelled, TaskContext, TaskError, TaskMessage, ThreadPool, TraitsExecutor,
    WorkerPool,
};

type TestResult = Result<(), Box<dyn Error>>;

fn all_done<T: Send + 'static>(futures: &[CallFuture<T>]) -> bool {
    futures.iter().all(|f| f.done().get())
}

#[test]
fn e74_concurrent_calls_each_get_their_own_result() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(8).build()?;
    let futures: Vec<CallFuture<String>> = (0..100)
        .map(|i| submit_call(&executor, move || format!("result {i}")))
        .collect::<Result<_, _>>()?;
    executor.run_until(|| all_done(&futures), Some(TEST_TIMEOUT))?;
    for (i, future) in futures.iter().enumerate() {
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(future.result(), Ok(&format!("result {i}")));
    }
    assert_eq!(executor.running_tasks(), 0);
    executor.shutdown(None)?;
    Ok(())
}

/// Compiles only for types that are *not* `Send`: for a `Send` type both impls apply and
/// `<T as NotSend<_>>` is ambiguous (the `static_assertions::assert_not_impl_any` trick).
trait NotSend<Marker> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
struct IsSend;
impl<T: ?Sized + Send> NotSend<IsSend> for T {}

fn assert_send<T: Send>() {}
fn assert_send_value<T: Send>(_: &T) {}

/// e76: the main-thread halves are `!Send`, the background halves `Send`.
///
/// That the executor and its futures cannot be moved to another thread is proven by the
/// `compile_fail` doc tests on `TraitsExecutor` (crates/futures-core/src/executor.rs); this test
/// checks the same at compile time, and that everything a worker needs is `Send`.
#[test]
fn e76_background_halves_are_send_main_thread_halves_are_not() -> TestResult {
    assert_send::<ThreadPool>();
    assert_send::<Arc<dyn WorkerPool>>();
    assert_send::<Job>();
    assert_send::<TaskError<String>>();
    assert_send::<TaskCancelled>();
    assert_send::<SubmitError>();
    assert_send::<TaskMessage<u32, String, TaskError<String>>>();
    assert_send::<Flag>();
    let generator_body = |items: &TaskContext<'_, u32>| -> Result<(), TaskCancelled> {
        items.send(1)?;
        Ok(())
    };
    assert_send_value(&generator_body);

    let _ = <TraitsExecutor as NotSend<_>>::check;
    let _ = <CallFuture<u32> as NotSend<_>>::check;
    let _ = <IterationFuture<u32> as NotSend<_>>::check;

    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let future = submit_generator(&executor, generator_body)?;
    executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(future.state().get(), FutureState::Completed);
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn e77_max_workers_bounds_concurrency() -> TestResult {
    const N: usize = 3;
    let executor = TraitsExecutor::builder().max_workers(N).build()?;
    let barrier = Arc::new(Barrier::new(N + 1));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let enter = {
        let (in_flight, peak) = (Arc::clone(&in_flight), Arc::clone(&peak));
        move || {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
        }
    };
    let (started_tx, started_rx) = mpsc::channel();
    let blockers: Vec<CallFuture<usize>> = (0..N)
        .map(|i| {
            let (barrier, in_flight, enter) =
                (Arc::clone(&barrier), Arc::clone(&in_flight), enter.clone());
            let started_tx = started_tx.clone();
            submit_call(&executor, move || {
                enter();
                let _ = started_tx.send(i);
                barrier.wait();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                i
            })
        })
        .collect::<Result<_, _>>()?;
    let (extra_tx, extra_rx) = mpsc::channel();
    let extra = submit_call(&executor, {
        let in_flight = Arc::clone(&in_flight);
        move || {
            enter();
            let _ = extra_tx.send(());
            in_flight.fetch_sub(1, Ordering::SeqCst);
            N
        }
    })?;

    let mut started: Vec<usize> = (0..N)
        .map(|_| started_rx.recv_timeout(TEST_TIMEOUT))
        .collect::<Result<_, _>>()?;
    started.sort_unstable();
    assert_eq!(started, (0..N).collect::<Vec<_>>());
    executor.exercise_event_loop(TEST_TIMEOUT)?;
    for blocker in &blockers {
        assert_eq!(blocker.state().get(), FutureState::Executing);
    }
    // All N workers are blocked on the barrier: the extra task has not started.
    assert_eq!(extra.state().get(), FutureState::Waiting);
    assert_eq!(extra_rx.try_recv(), Err(TryRecvError::Empty));

    barrier.wait();
    executor.run_until(
        || all_done(&blockers) && extra.done().get(),
        Some(TEST_TIMEOUT),
    )?;
    assert_eq!(extra_rx.try_recv(), Ok(()));
    assert_eq!(extra.result(), Ok(&N));
    assert_eq!(peak.load(Ordering::SeqCst), N);
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn e78_pool_and_max_workers_is_a_build_error() -> TestResult {
    let pool = Arc::new(ThreadPool::new(2));
    let error = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .max_workers(2)
        .build()
        .unwrap_err();
    assert_eq!(error, BuildError::PoolAndMaxWorkers);
    assert_eq!(
        TraitsExecutor::builder()
            .max_workers(4)
            .worker_pool(pool.clone())
            .build()
            .unwrap_err(),
        BuildError::PoolAndMaxWorkers
    );
    // Even an invalid size is reported as the contradiction.
    assert_eq!(
        TraitsExecutor::builder()
            .max_workers(0)
            .worker_pool(pool.clone())
            .build()
            .unwrap_err(),
        BuildError::PoolAndMaxWorkers
    );
    assert!(!error.to_string().is_empty());
    assert_eq!(pool.started_threads(), 0);
    pool.shutdown();
    Ok(())
}

/// Runs a raw job on `pool` and returns what it computed.
fn run_raw_job(pool: &ThreadPool, value: u32) -> Result<u32, Box<dyn Error>> {
    let (tx, rx) = mpsc::channel();
    pool.execute(Box::new(move || {
        let _ = tx.send(value * 2);
    }))?;
    Ok(rx.recv_timeout(TEST_TIMEOUT)?)
}

#[test]
fn e79_external_pool_keeps_working_after_stop_and_shutdown() -> TestResult {
    let pool = Arc::new(ThreadPool::new(2));

    // stop(), run to Stopped.
    let stopped = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let future = submit_call(&stopped, || 1)?;
    stopped.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    stopped.stop()?;
    stopped.run_until(|| stopped.stopped().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(run_raw_job(&pool, 21)?, 42);

    // shutdown() with a task in flight.
    let shut = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let (_blocked, started, release) = blocking_call(&shut);
    wait_for(&started);
    shut.stop()?;
    release.send(())?;
    shut.shutdown(None)?;
    assert_eq!(run_raw_job(&pool, 5)?, 10);

    // Another executor sharing the pool still runs tasks.
    let another = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let future = submit_call(&another, || 7)?;
    another.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(future.result(), Ok(&7));
    another.shutdown(None)?;
    assert_eq!(run_raw_job(&pool, 1)?, 2);

    stopped.shutdown(None)?;
    assert!(pool.started_threads() >= 1);
    pool.shutdown();
    Ok(())
}

#[test]
fn e80_executor_without_tasks_is_lazy() -> TestResult {
    let pool = Arc::new(ThreadPool::new(2));
    let shared = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let owned = TraitsExecutor::builder().max_workers(2).build()?;
    for executor in [&shared, &owned] {
        assert_eq!(executor.running_tasks(), 0);
        assert_eq!(executor.dispatch_pending(), 0);
        executor.run_until(|| true, None)?;
        assert!(executor
            .run_until(|| false, Some(Duration::from_millis(1)))
            .is_err());
        assert_eq!(executor.running_tasks(), 0);
    }
    shared.shutdown(None)?;
    owned.shutdown(None)?;
    // The shared pool was never asked to run anything.
    assert_eq!(pool.started_threads(), 0);
    pool.shutdown();
    Ok(())
}
