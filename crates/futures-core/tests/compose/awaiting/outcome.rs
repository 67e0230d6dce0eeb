//! Section 1: awaiting a future (`future.outcome()`, `(&future).await`).

use super::*;

#[test]
fn awaiting_a_completed_future_on_a_local_pool_yields_its_value() {
    let executor = executor(2);
    let answer = on_local_pool(&executor, {
        let executor = executor.clone();
        async move {
            let future = submit_call(&executor, || 6 * 7).unwrap();
            future.outcome().await.cloned()
        }
    });
    assert_eq!(answer, Outcome::Completed(42));
}

#[test]
fn awaiting_a_failed_future_yields_its_typed_error() {
    let executor = executor(2);
    let outcome = on_local_pool(&executor, {
        let executor = executor.clone();
        async move {
            let future = submit_try_call(&executor, || "x".parse::<u32>()).unwrap();
            let outcome = (&future).await;
            assert_eq!(outcome.state(), FutureState::Failed);
            outcome.cloned()
        }
    });
    match outcome {
        Outcome::Failed(TaskError::Error(error)) => {
            assert_eq!(error, "x".parse::<u32>().unwrap_err())
        }
        other => panic!("expected the parse error, got {other:?}"),
    }
}

#[test]
fn awaiting_a_cancelled_future_yields_cancelled() {
    let executor = executor(1);
    let (blocker, started, release) = gated_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let queued = submit_call(&executor, {
        let ran = ran.clone();
        move || ran.store(true, Ordering::SeqCst)
    })
    .unwrap();
    let outcome = on_local_pool(&executor, {
        let queued = queued.clone();
        async move {
            assert!(queued.cancel());
            release.send(()).unwrap();
            queued.outcome().await.cloned()
        }
    });
    assert_eq!(outcome, Outcome::Cancelled);
    assert_eq!(blocker.state().get(), FutureState::Completed);
    assert!(!ran.load(Ordering::SeqCst), "the cancelled call never ran");
}

#[test]
fn an_await_from_a_spawned_task_resolves_while_the_dispatcher_runs_on_the_same_pool() {
    let executor = executor(2);
    let (future, started, release) = gated_call(&executor);
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    spawner.spawn_local(executor.dispatcher()).unwrap();
    let awaited = Rc::new(Cell::new(false));
    let handle = spawner
        .spawn_local_with_handle({
            let (future, awaited) = (future.clone(), awaited.clone());
            async move {
                let outcome = future.outcome().await.cloned();
                awaited.set(true);
                outcome
            }
        })
        .unwrap();
    pool.run_until_stalled();
    assert!(!awaited.get(), "pending while the task runs");
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    release.send(()).unwrap();
    // The pool sleeps until the worker's message wakes the dispatcher, whose dispatch ends the
    // future and wakes the awaiting task.
    assert_eq!(pool.run_until(handle), Outcome::Completed(()));
    executor.stop().unwrap();
    pool.run();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

#[test]
fn an_await_made_after_the_future_is_done_resolves_at_the_first_poll() {
    let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(5)).unwrap();
    assert_eq!(
        future.outcome().now_or_never(),
        Some(Outcome::Completed(&5))
    );
}

#[test]
fn dropping_the_await_leaves_the_task_running_and_unregisters_its_waker() {
    let executor = executor(1);
    let (future, started, release) = gated_call(&executor);
    let counter = Arc::new(CountingWaker::default());
    let task_waker = waker(counter.clone());
    {
        let mut awaiting = pin!(future.outcome());
        let mut cx = Context::from_waker(&task_waker);
        assert!(awaiting.as_mut().poll(&mut cx).is_pending());
    } // dropped: the observer (and its waker) go with it
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    assert!(
        future.cancellable().get(),
        "dropping the await cancels nothing"
    );
    release.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), FutureState::Completed);
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        0,
        "no wake after the drop"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_pending_await_is_woken_once_through_its_latest_waker() {
    let future: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
    let (first, second) = (
        Arc::new(CountingWaker::default()),
        Arc::new(CountingWaker::default()),
    );
    let mut awaiting = pin!(future.outcome());
    let waker_one = waker(first.clone());
    let waker_two = waker(second.clone());
    assert!(awaiting
        .as_mut()
        .poll(&mut Context::from_waker(&waker_one))
        .is_pending());
    assert!(awaiting
        .as_mut()
        .poll(&mut Context::from_waker(&waker_two))
        .is_pending());
    future.receive(TaskMessage::Started).unwrap();
    assert_eq!(second.0.load(Ordering::SeqCst), 0, "started is not done");
    future.receive(TaskMessage::Returned(9)).unwrap();
    assert_eq!(first.0.load(Ordering::SeqCst), 0);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        awaiting.as_mut().poll(&mut Context::from_waker(&waker_two)),
        Poll::Ready(Outcome::Completed(&9))
    );
}
