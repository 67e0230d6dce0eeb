//! 3d. The hooks are released at Stopped.

use super::*;

/// A wake callback that keeps `token` alive as long as the library keeps the callback.
fn install_token_callback(executor: &TraitsExecutor) -> Arc<()> {
    let token = Arc::new(());
    let captured = Arc::clone(&token);
    executor.set_wake_callback(move || {
        let _ = &captured;
    });
    token
}

#[test]
fn the_wake_callback_and_what_it_captures_are_released_at_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let future = submit_call(&executor, || 10).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(Arc::strong_count(&token), 2, "held while the executor runs");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(Arc::strong_count(&token), 1, "released at Stopped");
    assert_eq!(future.result(), Ok(&10));
}

#[test]
fn a_finished_future_kept_after_the_executor_is_gone_does_not_keep_the_wake_callback() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let future = submit_call(&executor, || 11).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    drop(executor);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(future.done().get());
}

#[test]
fn an_executor_dropped_without_shutdown_releases_its_wake_callback() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let (future, started, release) = blocking_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(executor);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "the kept future must not keep it"
    );
    release.send(()).unwrap();
    drop(future);
}

#[test]
fn a_wake_callback_installed_after_stopped_is_not_kept() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 12).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let token = install_token_callback(&executor);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(future.done().get());
}

#[test]
fn a_dispatchers_waker_is_released_at_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 13).unwrap();
    let waker = Arc::new(CountingWaker::default());
    let mut dispatcher = executor.dispatcher();
    {
        let context_waker = Waker::from(Arc::clone(&waker));
        let mut context = Context::from_waker(&context_waker);
        assert!(Pin::new(&mut dispatcher).poll(&mut context).is_pending());
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
        assert!(waker.0.load(Ordering::SeqCst) >= 1, "woken at Stopped");
        assert_eq!(
            Pin::new(&mut dispatcher).poll(&mut context),
            Poll::Ready(())
        );
    }
    assert_eq!(
        Arc::strong_count(&waker),
        1,
        "the ended dispatcher let go of its waker"
    );
    drop(dispatcher);
    drop(executor);
    assert_eq!(
        Arc::strong_count(&waker),
        1,
        "the kept future does not hold it"
    );
    assert!(future.done().get());
}

#[test]
fn a_dispatcher_made_after_stopped_is_ready_at_once_and_keeps_nothing() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let waker = Arc::new(CountingWaker::default());
    let context_waker = Waker::from(Arc::clone(&waker));
    let mut context = Context::from_waker(&context_waker);
    let mut dispatcher = executor.dispatcher();
    assert_eq!(
        Pin::new(&mut dispatcher).poll(&mut context),
        Poll::Ready(())
    );
    drop(context_waker);
    assert_eq!(Arc::strong_count(&waker), 1);
    drop(dispatcher);
}
