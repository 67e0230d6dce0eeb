//! The headless event-loop helpers: behaviour j120 (`run_until`) and j121
//! (`exercise_event_loop`).
//!
//! Busy workers are held with channels, never with sleeps.

use crate::common;
use common::Stream;

use std::cell::Cell;
use std::error::Error;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, FutureState, IterationFuture, RunTimeout, TaskCancelled,
    TaskContext, TraitsExecutor,
};

type TestResult = Result<(), Box<dyn Error>>;

/// Waits (bounded) for a worker's signal.
fn wait_for(signal: &Receiver<()>) {
    signal
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker should have signalled");
}

/// A generator that sends `items` items, signals that they are all queued, then waits for a
/// release before it returns.
fn submit_paused(
    executor: &TraitsExecutor,
    items: u32,
) -> (
    IterationFuture<u32, (), TaskCancelled>,
    Receiver<()>,
    Sender<()>,
) {
    let (queued_tx, queued_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let future = submit_generator(executor, move |context: &TaskContext<'_, u32>| {
        for n in 0..items {
            context.send(n)?;
        }
        let _ = queued_tx.send(());
        let _ = release_rx.recv();
        Ok(())
    })
    .expect("a running executor accepts tasks");
    (future, queued_rx, release_tx)
}

/// Asserts that `run_until(|| false, 100 ms)` fails with the timeout within [100 ms, 1 s).
fn assert_times_out_in_time(executor: &TraitsExecutor) {
    let timeout = Duration::from_millis(100);
    let began = Instant::now();
    let outcome = executor.run_until(|| false, Some(timeout));
    let elapsed = began.elapsed();
    assert_eq!(outcome, Err(RunTimeout { timeout }));
    assert!(elapsed >= timeout, "returned early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "100 ms timeout not honoured within 1 s: {elapsed:?}"
    );
}

#[test]
fn j120_condition_is_checked_first() -> TestResult {
    // No timeout and nothing that could ever arrive: only the first check can return.
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let calls = Cell::new(0);
    executor.run_until(
        || {
            calls.set(calls.get() + 1);
            true
        },
        None,
    )?;
    assert_eq!(calls.get(), 1);

    // With a message queued, a condition that holds returns before dispatching it.
    let (future, queued, release) = submit_paused(&executor, 1);
    wait_for(&queued);
    executor.run_until(|| true, Some(Duration::ZERO))?;
    assert_eq!(future.state().get(), FutureState::Waiting);

    release.send(())?;
    executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn j120_condition_is_rechecked_after_every_dispatched_message() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let (future, queued, release) = submit_paused(&executor, 10);
    let items = Recorder::event(future.items());
    wait_for(&queued); // S and items 0..10 are all queued

    // Stops after S, before any item.
    executor.run_until(
        || future.state().get() == FutureState::Executing,
        Some(TEST_TIMEOUT),
    )?;
    assert!(items.is_empty());

    // Stops after exactly the first item: checked before (no), after it (yes).
    let calls = Cell::new(0);
    executor.run_until(
        || {
            calls.set(calls.get() + 1);
            !items.is_empty()
        },
        Some(TEST_TIMEOUT),
    )?;
    assert_eq!(items.values(), [0]);
    assert_eq!(calls.get(), 2);

    // And after exactly the fifth.
    executor.run_until(|| items.len() >= 5, Some(TEST_TIMEOUT))?;
    assert_eq!(items.values(), [0, 1, 2, 3, 4]);

    release.send(())?;
    executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn j120_times_out_when_nothing_fires() -> TestResult {
    // An executor that never had a task.
    let fresh = TraitsExecutor::new();
    assert_times_out_in_time(&fresh);
    fresh.shutdown(None)?;

    // An idle executor whose tasks have all finished.
    let idle = TraitsExecutor::builder().max_workers(1).build()?;
    let future = submit_call(&idle, || 1)?;
    idle.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    assert_times_out_in_time(&idle);

    // A task that is running but sends nothing.
    let (blocked, queued, release) = submit_paused(&idle, 0);
    wait_for(&queued);
    assert_times_out_in_time(&idle);
    release.send(())?;
    idle.run_until(|| blocked.done().get(), Some(TEST_TIMEOUT))?;
    idle.shutdown(None)?;
    Ok(())
}

#[test]
fn j120_times_out_while_messages_keep_firing() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    // Messages keep coming for up to 3 s, well past the 1 s bound.
    let stream = Stream::start(&executor, Duration::from_secs(3));
    executor.run_until(|| stream.delivered.get() > 0, Some(TEST_TIMEOUT))?;
    let before = stream.delivered.get();
    assert_times_out_in_time(&executor);
    assert!(
        stream.delivered.get() > before,
        "messages were dispatched during the run"
    );
    stream.stop(&executor);
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn j121_exercise_dispatches_everything_queued_before_it() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(3).build()?;
    let paused: Vec<_> = (0..3).map(|_| submit_paused(&executor, 5)).collect();
    let items: Vec<_> = paused
        .iter()
        .map(|(future, _, _)| Recorder::event(future.items()))
        .collect();
    for (_, queued, _) in &paused {
        wait_for(queued);
    }

    executor.exercise_event_loop(TEST_TIMEOUT)?;
    // Everything queued was dispatched, and it returned although no task has finished.
    for ((future, _, _), items) in paused.iter().zip(&items) {
        assert_eq!(items.values(), [0, 1, 2, 3, 4]);
        assert_eq!(future.state().get(), FutureState::Executing);
    }
    assert_eq!(executor.dispatch_pending(), 0);

    for (_, _, release) in &paused {
        release.send(())?;
    }
    executor.run_until(
        || paused.iter().all(|(future, _, _)| future.done().get()),
        Some(TEST_TIMEOUT),
    )?;
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn j121_exercise_delivers_finished_tasks_to_the_end() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let call = submit_call(&executor, || "called")?;
    let (paused, queued, release) = submit_paused(&executor, 2);
    // One worker: `paused` runs only after `call` has finished and queued everything.
    wait_for(&queued);
    assert_eq!(call.state().get(), FutureState::Waiting);
    executor.exercise_event_loop(TEST_TIMEOUT)?;
    assert_eq!(call.state().get(), FutureState::Completed);
    assert_eq!(call.result(), Ok(&"called"));
    assert_eq!(paused.state().get(), FutureState::Executing);
    release.send(())?;
    executor.run_until(|| paused.done().get(), Some(TEST_TIMEOUT))?;
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn j121_exercise_with_nothing_queued_returns() -> TestResult {
    let executor = TraitsExecutor::new();
    let began = Instant::now();
    executor.exercise_event_loop(TEST_TIMEOUT)?;
    executor.exercise_event_loop(Duration::ZERO)?;
    assert!(began.elapsed() < Duration::from_secs(1));
    assert_eq!(executor.dispatch_pending(), 0);
    executor.shutdown(None)?;
    // Still answers once stopped.
    executor.exercise_event_loop(TEST_TIMEOUT)?;
    Ok(())
}
