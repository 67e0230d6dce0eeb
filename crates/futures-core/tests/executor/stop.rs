//! Stopping an executor: its states (Running, Stopping, Stopped) and the views that follow them,
//! `stop()`, and what a stop does to the tasks in flight and to later submits: behaviour e60–e63,
//! e71–e73 and e75.
//!
//! Tests that need a busy pool block their tasks on channels, never on sleeps. `shutdown()` is
//! in `shutdown.rs`, the worker pools in `workers.rs`.

use crate::common;
use common::executor::{blocking_call, wait_for, Flag};

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, submit_iteration, submit_progress, CallFuture, CallHandler,
    ExecutorState, FutureState, StopError, SubmitError, TaskCancelled, TaskContext, TraitsExecutor,
};

type TestResult = Result<(), Box<dyn Error>>;

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
