//! Executor lifecycle: behaviour e60–e80.
//!
//! Tests that need a busy pool block their tasks on channels or barriers, never on sleeps. The
//! thread-count parts of e79 and e80 live in `tests/threads.rs`, which counts the process's
//! threads and so must run in its own test binary.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, submit_iteration, submit_progress, BackgroundTask, BuildError,
    CallFuture, CallHandler, ExecutorState, FutureState, IterationFuture, Job, ShutdownError,
    StopError, SubmitError, TaskCancelled, TaskContext, TaskError, TaskMessage, ThreadPool,
    TraitsExecutor, WorkerPool,
};

type TestResult = Result<(), Box<dyn Error>>;

/// Submits a call that signals `started` when a worker runs it, then blocks until `release`
/// sends (or is dropped).
fn blocking_call(executor: &TraitsExecutor) -> (CallFuture<()>, Receiver<()>, Sender<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let future = submit_call(executor, move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    })
    .expect("a running executor accepts tasks");
    (future, started_rx, release_tx)
}

/// Waits (bounded) for a worker's signal.
fn wait_for(signal: &Receiver<()>) {
    signal
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker should have signalled");
}

fn all_done<T: Send + 'static>(futures: &[CallFuture<T>]) -> bool {
    futures.iter().all(|f| f.done().get())
}

#[test]
fn e60_new_executor_is_running() -> TestResult {
    for executor in [
        TraitsExecutor::new(),
        TraitsExecutor::default(),
        TraitsExecutor::builder().build()?,
        TraitsExecutor::builder().max_workers(2).build()?,
    ] {
        assert_eq!(executor.state().get(), ExecutorState::Running);
        assert!(executor.running().get());
        assert!(!executor.stopped().get());
        executor.shutdown(None)?;
    }
    Ok(())
}

#[test]
fn e61_stop_with_a_running_task_passes_through_stopping() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let states = Recorder::observable(executor.state());
    let (future, started, release) = blocking_call(&executor);
    wait_for(&started);

    executor.stop()?;
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    assert!(!executor.running().get());
    assert!(!executor.stopped().get());

    release.send(())?;
    executor.run_until(|| executor.stopped().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(
        states.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn e62_stop_without_tasks_still_passes_through_stopping() -> TestResult {
    // Never received a task.
    let fresh = TraitsExecutor::new();
    let states = Recorder::observable(fresh.state());
    fresh.stop()?;
    assert_eq!(fresh.state().get(), ExecutorState::Stopped);
    assert_eq!(
        states.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
    fresh.shutdown(None)?;

    // Every task already finished.
    let used = TraitsExecutor::builder().max_workers(1).build()?;
    let future = submit_call(&used, || 5)?;
    used.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    let states = Recorder::observable(used.state());
    used.stop()?;
    assert_eq!(used.state().get(), ExecutorState::Stopped);
    assert_eq!(
        states.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
    assert_eq!(future.result(), Ok(&5));
    used.shutdown(None)?;
    Ok(())
}

#[test]
fn e63_stop_when_not_running_is_an_error() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let (_future, started, release) = blocking_call(&executor);
    wait_for(&started);
    executor.stop()?;

    let states = Recorder::observable(executor.state());
    assert_eq!(
        executor.stop(),
        Err(StopError::NotRunning(ExecutorState::Stopping))
    );
    assert_eq!(executor.state().get(), ExecutorState::Stopping);

    release.send(())?;
    executor.shutdown(None)?;
    assert_eq!(
        executor.stop(),
        Err(StopError::NotRunning(ExecutorState::Stopped))
    );
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    // The refused stops changed nothing.
    assert_eq!(
        states.values(),
        [ExecutorState::Stopping, ExecutorState::Stopped]
    );
    Ok(())
}

#[test]
fn e64_shutdown_of_a_stopping_executor_blocks_until_the_work_is_done() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let a_finished = Arc::new(AtomicBool::new(false));
    let (a_started_tx, a_started_rx) = mpsc::channel();
    let (a_release_tx, a_release_rx) = mpsc::channel::<()>();
    let a = submit_call(&executor, {
        let a_finished = Arc::clone(&a_finished);
        move || {
            let _ = a_started_tx.send(());
            let _ = a_release_rx.recv();
            a_finished.store(true, Ordering::SeqCst);
        }
    })?;
    let (b, b_started, b_release) = blocking_call(&executor);
    wait_for(&a_started_rx);
    wait_for(&b_started);

    // Task A is released only from an observer of B's end, and observers run only while this
    // thread dispatches: that is, inside `shutdown` below. So `shutdown` starts while A is still
    // blocked, and must keep waiting until A has finished.
    let release_a = RefCell::new(Some(a_release_tx));
    let _guard = b.state().observe(move |_, new| {
        if new.is_done() {
            if let Some(tx) = release_a.borrow_mut().take() {
                let _ = tx.send(());
            }
        }
    });

    executor.stop()?;
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    b_release.send(())?;
    assert!(!a_finished.load(Ordering::SeqCst));

    executor.shutdown(None)?;
    assert!(a_finished.load(Ordering::SeqCst));
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(a.state().get(), FutureState::Cancelled);
    assert_eq!(b.state().get(), FutureState::Cancelled);
    assert_eq!(executor.running_tasks(), 0);
    Ok(())
}

#[test]
fn e65_shutdown_of_a_stopped_executor_does_nothing() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let future = submit_call(&executor, || "x")?;
    executor.shutdown(None)?;
    let states = Recorder::observable(executor.state());
    let future_states = Recorder::observable(future.state());

    executor.shutdown(None)?;
    executor.shutdown(None)?;
    executor.shutdown(Some(Duration::ZERO))?;
    executor.shutdown(Some(TEST_TIMEOUT))?;

    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(states.values(), [ExecutorState::Stopped]);
    assert_eq!(future_states.values(), [FutureState::Cancelled]);
    Ok(())
}

#[test]
fn e66_shutdown_right_after_submit_cancels_and_dispatches_on_the_calling_thread() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let call = submit_call(&executor, || 1)?;
    let items = submit_iteration(&executor, || 0..10)?;
    let call_states = Recorder::observable(call.state());
    let delivered_items = Recorder::event(items.items());
    let observer_threads = Rc::new(RefCell::new(Vec::new()));
    let _guard = call.state().observe({
        let threads = Rc::clone(&observer_threads);
        move |_, _| threads.borrow_mut().push(thread::current().id())
    });

    executor.shutdown(None)?;

    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(call.state().get(), FutureState::Cancelled);
    assert_eq!(items.state().get(), FutureState::Cancelled);
    assert_eq!(
        call_states.values(),
        [
            FutureState::Waiting,
            FutureState::Cancelling,
            FutureState::Cancelled
        ]
    );
    assert!(call.result().is_err());
    assert!(delivered_items.is_empty());
    // Cancelling happened in stop(); Cancelled was reached by shutdown's own dispatching.
    assert_eq!(
        *observer_threads.borrow(),
        [thread::current().id(), thread::current().id()]
    );
    assert_eq!(executor.running_tasks(), 0);
    Ok(())
}

/// A pool that can be closed and reopened: closed, it drops jobs unrun.
struct ClosablePool {
    inner: ThreadPool,
    closed: AtomicBool,
}

impl WorkerPool for ClosablePool {
    fn execute(&self, job: Job) -> Result<(), traits_futures::PoolClosed> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(traits_futures::PoolClosed);
        }
        self.inner.execute(job)
    }
}

#[test]
fn e67_event_loop_after_shutdown_changes_nothing() -> TestResult {
    let pool = Arc::new(ClosablePool {
        inner: ThreadPool::new(2),
        closed: AtomicBool::new(false),
    });
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let completed = submit_call(&executor, || 3)?;
    let (cancelled, started, release) = blocking_call(&executor);
    wait_for(&started);
    assert!(cancelled.cancel());
    release.send(())?;
    executor.run_until(
        || completed.done().get() && cancelled.done().get(),
        Some(TEST_TIMEOUT),
    )?;

    // A leftover wake-up: a refused submit queues the dropped task's messages and a wake-up for
    // a pipe that no longer exists. With no task left, shutdown reaches Stopped without
    // dispatching anything, so the wake-up is still queued after it.
    pool.closed.store(true, Ordering::SeqCst);
    assert_eq!(
        submit_call(&executor, || 4).unwrap_err(),
        SubmitError::PoolClosed
    );

    let executor_states = Recorder::observable(executor.state());
    let completed_states = Recorder::observable(completed.state());
    let cancelled_states = Recorder::observable(cancelled.state());
    executor.shutdown(None)?;
    let (executor_seen, completed_seen, cancelled_seen) = (
        executor_states.values(),
        completed_states.values(),
        cancelled_states.values(),
    );
    assert_eq!(
        executor_seen,
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
    assert_eq!(cancelled.state().get(), FutureState::Cancelled);

    assert_eq!(executor.dispatch_pending(), 0);
    executor.exercise_event_loop(TEST_TIMEOUT)?;
    assert!(executor
        .run_until(|| false, Some(Duration::from_millis(20)))
        .is_err());
    executor.run_until(|| true, None)?;
    assert_eq!(executor.dispatch_pending(), 0);

    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(executor.running_tasks(), 0);
    assert_eq!(executor_states.values(), executor_seen);
    assert_eq!(completed_states.values(), completed_seen);
    assert_eq!(cancelled_states.values(), cancelled_seen);
    assert_eq!(completed.result(), Ok(&3));
    pool.inner.shutdown();
    Ok(())
}

#[test]
fn e68_shutdown_without_tasks_reports_every_state() -> TestResult {
    let executor = TraitsExecutor::new();
    let states = Recorder::observable(executor.state());
    executor.shutdown(None)?;
    assert_eq!(
        states.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
    Ok(())
}

#[test]
fn e69_shutdown_waits_for_a_running_task_to_finish() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let side_effects = Arc::new(Mutex::new(Vec::new()));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let future = submit_call(&executor, {
        let side_effects = Arc::clone(&side_effects);
        move || {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            side_effects.lock().unwrap().push("written");
            "finished"
        }
    })?;
    wait_for(&started_rx);

    // Released from inside shutdown (whose stop() notifies this observer), so shutdown begins
    // while the task is still running.
    let release = RefCell::new(Some(release_tx));
    let _guard = executor.state().observe(move |_, new| {
        if *new == ExecutorState::Stopping {
            if let Some(tx) = release.borrow_mut().take() {
                let _ = tx.send(());
            }
        }
    });
    assert!(side_effects.lock().unwrap().is_empty());

    executor.shutdown(None)?;
    assert_eq!(*side_effects.lock().unwrap(), ["written"]);
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(future.state().get(), FutureState::Cancelled);
    Ok(())
}

#[test]
fn e70_shutdown_timeout_leaves_stopping() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let (future, started, release) = blocking_call(&executor);
    wait_for(&started);

    let timeout = Duration::from_millis(100);
    let began = Instant::now();
    let error = executor.shutdown(Some(timeout)).unwrap_err();
    let elapsed = began.elapsed();

    assert_eq!(
        error,
        ShutdownError::Timeout {
            timeout,
            running: 1
        }
    );
    assert!(error.to_string().contains("1 task(s) still running"));
    assert!(elapsed >= timeout, "returned early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "timeout not honoured: {elapsed:?}"
    );
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    assert_eq!(future.state().get(), FutureState::Cancelling);
    assert_eq!(executor.running_tasks(), 1);

    release.send(())?;
    executor.shutdown(None)?;
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert_eq!(executor.running_tasks(), 0);
    Ok(())
}

/// A background task that records whether it ran.
struct Flag(Arc<AtomicBool>);

impl BackgroundTask for Flag {
    type Message = Infallible;
    type Output = ();
    type Error = Infallible;
    fn run(self, _: &TaskContext<'_, Infallible>) -> Result<(), Infallible> {
        self.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// Submits one task of every built-in kind and a custom one, each setting `ran` if it runs.
fn submit_every_kind(executor: &TraitsExecutor, ran: &Arc<AtomicBool>) -> Vec<SubmitError> {
    let mut errors = Vec::new();
    let r = Arc::clone(ran);
    errors.extend(submit_call(executor, move || r.store(true, Ordering::SeqCst)).err());
    let r = Arc::clone(ran);
    errors.extend(
        submit_iteration(executor, move || {
            r.store(true, Ordering::SeqCst);
            0..3
        })
        .err(),
    );
    let r = Arc::clone(ran);
    errors.extend(
        submit_generator(executor, move |_items: &TaskContext<'_, u8>| {
            r.store(true, Ordering::SeqCst);
            Ok::<(), TaskCancelled>(())
        })
        .err(),
    );
    let r = Arc::clone(ran);
    errors.extend(
        submit_progress(executor, move |_reporter| {
            r.store(true, Ordering::SeqCst);
            Ok::<_, TaskCancelled>(())
        })
        .map(|f: traits_futures::ProgressFuture<u8, ()>| f)
        .err(),
    );
    errors.extend(
        executor
            .submit((CallHandler::default(), Flag(Arc::clone(ran))))
            .err(),
    );
    errors
}

#[test]
fn e71_submit_while_stopping_or_stopped_is_refused_and_never_runs() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let (_blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    executor.stop()?;

    let ran = Arc::new(AtomicBool::new(false));
    let errors = submit_every_kind(&executor, &ran);
    assert_eq!(
        errors,
        [SubmitError::NotRunning(ExecutorState::Stopping); 5]
    );
    // Every refused closure was dropped, not kept.
    assert_eq!(Arc::strong_count(&ran), 1);

    release.send(())?;
    executor.shutdown(None)?;
    let errors = submit_every_kind(&executor, &ran);
    assert_eq!(errors, [SubmitError::NotRunning(ExecutorState::Stopped); 5]);
    assert_eq!(Arc::strong_count(&ran), 1);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(executor.running_tasks(), 0);
    Ok(())
}

#[test]
fn e72_stop_cancels_synchronously_and_futures_end_before_stopped() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let (executing, started, release) = blocking_call(&executor);
    // With one worker busy, this one is still waiting when the executor stops.
    let waiting = submit_call(&executor, || 2)?;
    wait_for(&started);
    executor.run_until(
        || executing.state().get() == FutureState::Executing,
        Some(TEST_TIMEOUT),
    )?;
    let executing_states = Recorder::observable(executing.state());

    let done_at_stopped = Rc::new(RefCell::new(None));
    let _guard = executor.state().observe({
        let done_at_stopped = Rc::clone(&done_at_stopped);
        let (executing, waiting) = (executing.clone(), waiting.clone());
        move |_, new| {
            if *new == ExecutorState::Stopped {
                *done_at_stopped.borrow_mut() =
                    Some((executing.done().get(), waiting.done().get()));
            }
        }
    });

    executor.stop()?;
    assert_eq!(executing.state().get(), FutureState::Cancelling);
    assert_eq!(waiting.state().get(), FutureState::Cancelling);
    assert!(!executing.cancellable().get());
    assert_eq!(executor.state().get(), ExecutorState::Stopping);

    release.send(())?;
    executor.shutdown(None)?;
    assert_eq!(*done_at_stopped.borrow(), Some((true, true)));
    assert_eq!(
        executing_states.values(),
        [
            FutureState::Executing,
            FutureState::Cancelling,
            FutureState::Cancelled
        ]
    );
    assert_eq!(waiting.state().get(), FutureState::Cancelled);
    Ok(())
}

#[test]
fn e73_running_and_stopped_agree_with_state_and_change_once() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let mismatches = Rc::new(Cell::new(0));
    let notifications = Rc::new(Cell::new(0));
    let check = {
        let state = executor.state().clone();
        let running = executor.running().clone();
        let stopped = executor.stopped().clone();
        let mismatches = Rc::clone(&mismatches);
        let notifications = Rc::clone(&notifications);
        move || {
            notifications.set(notifications.get() + 1);
            let s = state.get();
            if running.get() != (s == ExecutorState::Running)
                || stopped.get() != (s == ExecutorState::Stopped)
            {
                mismatches.set(mismatches.get() + 1);
            }
        }
    };
    let _guards = [
        executor.state().observe({
            let check = check.clone();
            move |_, _| check()
        }),
        executor.running().observe({
            let check = check.clone();
            move |_, _| check()
        }),
        executor.stopped().observe({
            let check = check.clone();
            move |_, _| check()
        }),
    ];
    let running = Recorder::derived(executor.running());
    let stopped = Recorder::derived(executor.stopped());

    let (_future, started, release) = blocking_call(&executor);
    wait_for(&started);
    executor.stop()?;
    release.send(())?;
    executor.shutdown(None)?;
    executor.shutdown(None)?;

    assert_eq!(mismatches.get(), 0);
    // Stopping: state and running; Stopped: state and stopped.
    assert_eq!(notifications.get(), 4);
    assert_eq!(running.values(), [true, false]);
    assert_eq!(stopped.values(), [false, true]);
    Ok(())
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

#[test]
fn e75_stop_right_after_100_submits_cancels_all() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(4).build()?;
    let futures: Vec<CallFuture<usize>> = (0..100)
        .map(|i| submit_call(&executor, move || i))
        .collect::<Result<_, _>>()?;
    executor.stop()?;
    assert!(futures
        .iter()
        .all(|f| f.state().get() == FutureState::Cancelling));
    executor.run_until(|| executor.stopped().get(), Some(TEST_TIMEOUT))?;
    assert!(futures
        .iter()
        .all(|f| f.state().get() == FutureState::Cancelled));
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
