//! Shutting an executor down: `shutdown()` stops, then dispatches on the calling thread until
//! every task has ended (or a timeout passes), does nothing once Stopped, and leaves an event
//! loop with nothing to do: behaviour e64–e70.
//!
//! Tests that need a busy pool block their tasks on channels, never on sleeps. `stop()` itself
//! is in `stop.rs`.

use crate::common;
use common::executor::{blocking_call, wait_for};

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_iteration, ExecutorState, FutureState, Job, ShutdownError, SubmitError,
    ThreadPool, TraitsExecutor, WorkerPool,
};

type TestResult = Result<(), Box<dyn Error>>;

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
