//! 3a. A wake callback installed after a headless run, or while messages wait.

use super::*;

/// A headless run during which a message arrives after the loop began: the task is released by
/// an observer of its start, so its final message is announced while `run_until` runs.
fn headless_run_with_a_late_message(executor: &TraitsExecutor) {
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(executor, move || gate.recv().is_ok()).unwrap();
    let release = RefCell::new(Some(release));
    let _release = future.state().observe(move |_, new| {
        if *new == FutureState::Executing {
            release.borrow_mut().take().unwrap().send(()).unwrap();
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&true));
}

#[test]
fn a_wake_callback_installed_after_a_headless_run_is_called_for_the_next_message() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    headless_run_with_a_late_message(&executor);
    let (_, wakes) = wake_channel(&executor);
    let next = submit_call(&executor, || 2).unwrap();
    while !next.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the new callback was never called");
        executor.dispatch_pending();
    }
    assert_eq!(next.result(), Ok(&2));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_callback_replacing_another_after_a_headless_run_is_called_for_the_next_message() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (_old_count, _old_wakes) = wake_channel(&executor);
    headless_run_with_a_late_message(&executor);
    let (_, wakes) = wake_channel(&executor);
    let next = submit_call(&executor, || 3).unwrap();
    while !next.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the replacing callback was never called");
        executor.dispatch_pending();
    }
    assert_eq!(next.result(), Ok(&3));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_callback_installed_while_messages_wait_is_called_once_at_once() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    // Submitted before any callback (as an app that starts work before its UI is up).
    let first = submit_call(&executor, || 4).unwrap();
    let (after_tx, after) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let second = submit_call(&executor, move || {
        after_tx.send(()).unwrap();
        let _ = gate.recv();
    })
    .unwrap();
    after.recv_timeout(TEST_TIMEOUT).unwrap(); // the first has sent everything

    let (count, wakes) = wake_channel(&executor);
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "called at once, on this thread"
    );
    wakes.recv_timeout(TEST_TIMEOUT).unwrap();
    executor.dispatch_pending();
    assert_eq!(first.result(), Ok(&4));
    assert_eq!(second.state().get(), FutureState::Executing);

    release.send(()).unwrap();
    while !second.done().get() {
        wakes.recv_timeout(TEST_TIMEOUT).unwrap();
        executor.dispatch_pending();
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
