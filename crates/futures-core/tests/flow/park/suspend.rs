//! Suspend and resume: a suspended task waits at its next send or checkpoint.

use super::*;

/// A generator that waits for `go`, then sends `0..count` (counted), each after a checkpoint
/// if `checkpoints`, else by `send` alone.
fn gated_generator(
    executor: &TraitsExecutor,
    count: usize,
    checkpoints: bool,
) -> (Items, Counters, Sender<()>, Ended) {
    let counters = Counters::default();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (ended_tx, ended_rx) = mpsc::channel();
    let future = submit_generator(executor, {
        let counters = counters.clone();
        move |items: &TaskContext<'_, usize>| {
            let _ = go_rx.recv();
            let outcome = (0..count).try_for_each(|n| {
                if checkpoints {
                    counters.begun.fetch_add(1, SeqCst);
                    items.checkpoint()?;
                    items.send(n)?;
                    counters.sent.fetch_add(1, SeqCst);
                    Ok(())
                } else {
                    counters.send(items, n)
                }
            });
            let _ = ended_tx.send(outcome);
            outcome
        }
    })
    .unwrap();
    (future, counters, go_tx, ended_rx)
}

#[test]
fn suspend_a_suspended_task_stops_at_its_next_send_or_checkpoint_until_resumed() {
    for checkpoints in [false, true] {
        let executor = TraitsExecutor::new();
        let (future, counters, go, ended_rx) = gated_generator(&executor, 5, checkpoints);
        let items = Recorder::event(future.items());
        assert!(future.suspend());
        assert!(future.suspended().get());
        let _ = go.send(()); // (gone if the task was cancelled before it started)
        counters.assert_blocked_after(0);

        // The state is unchanged: the task's `S` is delivered, and it stays Executing.
        executor.dispatch_pending();
        assert_eq!(future.state().get(), Executing);
        assert!(future.suspended().get());
        assert!(items.is_empty());

        assert!(future.resume());
        assert!(!future.suspended().get());
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(ended(&ended_rx), Ok(()));
        assert_eq!(future.state().get(), Completed);
        assert_eq!(items.values(), [0, 1, 2, 3, 4]);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn suspend_in_the_middle_holds_the_task_at_the_next_send_and_resume_continues_it() {
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(2), 8);
    counters.assert_blocked_after(2); // held by its capacity
    assert!(future.suspend());
    // The main thread takes the waiting items (room for two more), but the task is suspended.
    executor.dispatch_pending();
    counters.assert_blocked_after(2);
    assert_eq!(future.state().get(), Executing);
    assert!(future.resume());
    counters.assert_blocked_after(4);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(ended(&ended_rx), Ok(()));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_leaves_the_state_as_it_was() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (blocker, go_blocker, _ended) = {
        let (future, _, go, ended) = gated_generator(&executor, 0, false);
        (future, go, ended)
    };
    // Queued behind the blocker: Waiting.
    let call = submit_call(&executor, || 7).unwrap();
    let states = Recorder::observable(call.state());
    assert!(call.suspend());
    assert_eq!(call.state().get(), Waiting);
    assert!(call.resume());
    let _ = go_blocker.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || blocker.done().get() && call.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    // A call sends nothing: suspended or not, it runs to its end.
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_cancel_while_suspended_ends_the_task_cancelled_at_once() {
    for checkpoints in [false, true] {
        let executor = TraitsExecutor::new();
        let (future, counters, go, ended_rx) = gated_generator(&executor, 5, checkpoints);
        let suspended = Recorder::derived(future.suspended());
        assert!(future.suspend());
        go.send(()).unwrap();
        counters.assert_blocked_after(0);
        // No dispatch until the worker reports: the cancel alone wakes it.
        assert!(future.cancel());
        assert!(!future.suspended().get());
        assert_eq!(ended(&ended_rx), Err(TaskCancelled));
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled);
        assert_eq!(suspended.values(), [false, true, false]);
        assert!(!future.resume(), "the cancel ended the suspension");
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn suspend_an_executor_stop_or_drop_ends_a_suspended_wait() {
    let executor = TraitsExecutor::new();
    let (future, counters, go, ended_rx) = gated_generator(&executor, 5, false);
    future.suspend();
    go.send(()).unwrap();
    counters.assert_blocked_after(0);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    assert_eq!(future.state().get(), Cancelled);
    assert!(!future.suspended().get());

    let executor = TraitsExecutor::new();
    let (future, counters, go, ended_rx) = gated_generator(&executor, 5, true);
    future.suspend();
    let _ = go.send(()); // (gone if the task was cancelled before it started)
    counters.assert_blocked_after(0);
    drop(executor);
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn suspend_suspended_becomes_false_on_resume_and_when_the_future_is_done() {
    let executor = TraitsExecutor::new();
    let (future, _, go, _ended) = gated_generator(&executor, 3, false);
    let suspended = Recorder::derived(future.suspended());
    assert!(future.suspend());
    assert!(future.resume());
    assert!(future.suspend());
    let _ = go.send(()); // (gone if the task was cancelled before it started)
                         // The task ends only once resumed; a call that sends nothing ends while suspended.
    future.resume();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(suspended.values(), [false, true, false, true, false]);

    let call = submit_call(&executor, || 1).unwrap();
    let call_suspended = Recorder::derived(call.suspended());
    assert!(call.suspend());
    executor
        .run_until(|| call.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(call.state().get(), Completed);
    assert_eq!(call_suspended.values(), [false, true, false]);
    assert!(!call.suspended().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_returns_false_on_a_done_cancelled_or_detached_future() {
    let executor = TraitsExecutor::new();
    let done = submit_call(&executor, || 1).unwrap();
    executor
        .run_until(|| done.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(!done.suspend());
    assert!(!done.suspended().get());

    let cancelled = submit_call(&executor, || 1).unwrap();
    cancelled.cancel();
    assert!(!cancelled.suspend());
    assert!(!cancelled.resume());

    let detached: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
    assert!(!detached.suspend());
    assert!(!detached.resume());
    assert!(!detached.suspended().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
