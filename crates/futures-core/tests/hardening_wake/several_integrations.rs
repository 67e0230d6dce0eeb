//! 3c. Several integrations at once: every one is woken, every dispatcher ends.

use super::*;

#[test]
fn two_dispatchers_are_both_woken_and_both_end_at_stopped() {
    within("a LocalPool running two dispatchers", || {
        let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
        let mut pool = LocalPool::new();
        let ended = Rc::new(Cell::new(0));
        for dispatcher in [executor.dispatcher(), executor.dispatcher()] {
            let ended = Rc::clone(&ended);
            pool.spawner()
                .spawn_local(async move {
                    dispatcher.await;
                    ended.set(ended.get() + 1);
                })
                .unwrap();
        }
        let future = submit_call(&executor, || 5).unwrap();
        pool.spawner()
            .spawn_local({
                let (future, executor) = (future.clone(), executor.clone());
                async move {
                    future.done().signal().wait_for(true).await;
                    executor.stop().unwrap();
                }
            })
            .unwrap();
        pool.run(); // returns once every task, both dispatchers included, has ended
        assert_eq!(ended.get(), 2);
        assert_eq!(future.result(), Ok(&5));
        assert!(executor.stopped().get());
    });
}

#[test]
fn a_dispatcher_keeps_being_woken_after_a_wake_callback_is_installed() {
    within(
        "a LocalPool running a dispatcher beside a wake callback",
        || {
            let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
            let mut pool = LocalPool::new();
            pool.spawner().spawn_local(executor.dispatcher()).unwrap();
            pool.run_until_stalled(); // the dispatcher has polled once and sleeps
            let (count, _wakes) = wake_channel(&executor);

            let future = submit_call(&executor, || 6).unwrap();
            pool.run_until(future.done().signal().wait_for(true));
            assert_eq!(future.result(), Ok(&6));
            assert!(
                count.load(Ordering::SeqCst) >= 1,
                "the callback was woken too"
            );
            executor.stop().unwrap();
            pool.run(); // the dispatcher ends at Stopped
            assert!(executor.stopped().get());
        },
    );
}

#[test]
fn a_wake_callback_keeps_being_called_after_a_dispatcher_is_made() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (_, wakes) = wake_channel(&executor);
    let dispatcher = executor.dispatcher(); // never polled: the UI dispatches through the callback
    let future = submit_call(&executor, || 8).unwrap();
    while !future.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the dispatcher disconnected the wake callback");
        executor.dispatch_pending();
    }
    assert_eq!(future.result(), Ok(&8));
    drop(dispatcher);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_second_live_dispatcher_and_a_replaced_wake_callback_are_logged_at_warn() {
    capture_logs();
    let me = thread::current().id();
    let mine = |record: &Captured| record.thread == me;
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();

    let first = executor.dispatcher();
    drop(first);
    let _lone = executor.dispatcher(); // the first was dropped: this one is alone
    assert_eq!(logged(log::Level::Warn, mine), 0);
    let _second = executor.dispatcher();
    assert_eq!(
        logged(log::Level::Warn, |r| mine(r)
            && r.message.contains("Dispatcher")),
        1
    );

    executor.set_wake_callback(|| {});
    assert_eq!(
        logged(log::Level::Warn, mine),
        1,
        "a first callback replaces nothing"
    );
    executor.set_wake_callback(|| {});
    assert_eq!(
        logged(log::Level::Warn, |r| mine(r)
            && r.message.contains("replaced")),
        1
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
