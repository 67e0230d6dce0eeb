//! Issue 24 §6: deadlines. A task given a deadline is cancelled once it passes, on the main
//! thread, whichever event loop runs (headless, async, notify); its future says why
//! (`CancelReason::Deadline`, distinct from a user's cancel); a task done in time is untouched;
//! and the executor's timer thread leaves with the executor.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures::FutureExt;
use futures_signals::signal::SignalExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_progress, CallFuture, CancelReason, FutureState, ProgressFuture,
    TraitsExecutor,
};

/// The test's own guard: far beyond what any deadline here needs.
const GUARD: Duration = Duration::from_secs(10);

/// A task that would run for ever and sends nothing: it only looks at its cancel flag. So no
/// message of its own wakes an event loop while it runs.
fn endless_silent(executor: &TraitsExecutor) -> ProgressFuture<(), ()> {
    submit_progress(executor, |reporter| {
        while !reporter.cancelled() {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .expect("the executor is running")
}

#[test]
fn a_50ms_deadline_on_an_endless_task_ends_it_cancelled_within_1s_with_the_deadline_reason_headless(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let began = Instant::now();
    let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(50));
    executor.run_until(|| endless.done().get(), Some(GUARD))?;
    let took = began.elapsed();
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(
        took >= Duration::from_millis(50),
        "cancelled early, after {took:?}"
    );
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_deadline_cancels_before_the_loop_returns_to_its_condition_even_with_no_message(
) -> Result<(), Box<dyn std::error::Error>> {
    // The condition waits for the cancel itself (Cancelling), not for the task's last message:
    // only the deadline can make it true.
    let executor = TraitsExecutor::new();
    let endless = endless_silent(&executor);
    executor.run_until(
        || endless.state().get() == FutureState::Executing,
        Some(GUARD),
    )?;
    assert!(executor.cancel_after(&endless, Duration::from_millis(30)));
    executor.run_until(|| !endless.cancellable().get(), Some(GUARD))?;
    assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    Ok(())
}

#[test]
fn a_task_that_finishes_before_its_deadline_is_unaffected() -> Result<(), Box<dyn std::error::Error>>
{
    let executor = TraitsExecutor::new();
    let quick: CallFuture<u32> =
        submit_call(&executor, || 7)?.with_timeout(&executor, Duration::from_millis(100));
    executor.run_until(|| quick.done().get(), Some(GUARD))?;
    assert_eq!(quick.result(), Ok(&7));
    // Run the loop past the deadline: nothing changes.
    let past = Instant::now() + Duration::from_millis(150);
    let transitions = Rc::new(Cell::new(0));
    let _count = quick.state().observe({
        let transitions = transitions.clone();
        move |_, _| transitions.set(transitions.get() + 1)
    });
    let _ = executor.run_until(|| Instant::now() >= past, Some(Duration::from_millis(300)));
    assert_eq!(quick.state().get(), FutureState::Completed);
    assert_eq!(quick.cancel_reason(), None);
    assert_eq!(transitions.get(), 0);
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_users_cancel_before_the_deadline_keeps_the_user_reason(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(30));
    assert!(endless.cancel());
    executor.run_until(|| endless.done().get(), Some(GUARD))?;
    // Past the deadline too.
    let past = Instant::now() + Duration::from_millis(60);
    let _ = executor.run_until(|| Instant::now() >= past, Some(Duration::from_millis(200)));
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    assert_eq!(endless.cancel_reason(), Some(CancelReason::User));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_deadline_already_past_cancels_at_once_and_a_done_future_takes_none(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let endless = endless_silent(&executor);
    assert!(executor.cancel_at(&endless, Instant::now()));
    assert_eq!(endless.state().get(), FutureState::Cancelling);
    assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    assert!(!executor.cancel_after(&endless, Duration::from_secs(1)));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    Ok(())
}

#[test]
fn the_earliest_of_several_deadlines_fires_and_the_others_are_harmless(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let first = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(20));
    let second = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(200));
    executor.cancel_after(&first, Duration::from_millis(400)); // later: no effect
    executor.run_until(|| first.done().get(), Some(GUARD))?;
    assert_eq!(first.cancel_reason(), Some(CancelReason::Deadline));
    assert!(
        second.cancellable().get(),
        "the second's deadline has not passed yet"
    );
    executor.run_until(|| second.done().get(), Some(GUARD))?;
    assert_eq!(second.cancel_reason(), Some(CancelReason::Deadline));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_deadline_fires_under_the_async_dispatcher() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(50));
    let mut pool = LocalPool::new();
    pool.spawner().spawn_local(executor.dispatcher())?;
    // The guard: a thread that sends after GUARD (a timeout, not synchronisation).
    let (guard_tx, guard_rx) = futures::channel::oneshot::channel::<()>();
    let guard = std::thread::spawn(move || {
        std::thread::sleep(GUARD);
        let _ = guard_tx.send(());
    });
    let done = endless.done().signal().wait_for(true);
    let finished = pool.run_until(async {
        futures::select! {
            _ = done.fuse() => true,
            _ = guard_rx.fuse() => false,
        }
    });
    assert!(
        finished,
        "the deadline did not end the task within {GUARD:?}"
    );
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    executor.stop()?;
    pool.run(); // the dispatcher ends at Stopped
    assert!(executor.stopped().get());
    drop(guard); // detached: it ends on its own after GUARD
    Ok(())
}

#[test]
fn a_deadline_fires_under_the_notify_callback() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let (woken, wakes) = mpsc::channel::<()>();
    executor.set_wake_callback(move || {
        let _ = woken.send(());
    });
    let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_millis(50));
    let began = Instant::now();
    while !endless.done().get() {
        // A UI sleeps until woken, then dispatches.
        wakes.recv_timeout(GUARD)?;
        executor.dispatch_pending();
    }
    assert!(began.elapsed() < GUARD);
    assert_eq!(endless.state().get(), FutureState::Cancelled);
    assert_eq!(endless.cancel_reason(), Some(CancelReason::Deadline));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_deadline_does_not_keep_a_dropped_detached_future_alive() {
    let executor = TraitsExecutor::new();
    let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    let weak_probe = Rc::new(());
    let held = Rc::downgrade(&weak_probe);
    let _keep = future.state().observe(move |_, _| {
        let _ = &weak_probe;
    });
    assert!(executor.cancel_after(&future, Duration::from_secs(60)));
    drop(future);
    assert!(
        held.upgrade().is_none(),
        "the future (and its observer) was freed"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
