//! 3b. After an observer panics out of a dispatch, the rest gets a new wake.

use super::*;

/// An iteration of ten items, all queued (with a blocked call behind it, whose start proves
/// it) before the UI dispatches anything; the UI has been woken once.
struct QueuedBatch {
    executor: TraitsExecutor,
    count: Arc<AtomicUsize>,
    wakes: Receiver<()>,
    items: IterationItems,
    blocked: CallFuture<()>,
    release: Sender<()>,
}

type IterationItems = traits_futures::IterationFuture<u32>;

fn queued_batch() -> QueuedBatch {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (count, wakes) = wake_channel(&executor);
    let items = submit_iteration(&executor, || 0..10u32).unwrap();
    let (blocked, started, release) = blocking_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    wakes.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1, "one burst, one wake");
    QueuedBatch {
        executor,
        count,
        wakes,
        items,
        blocked,
        release,
    }
}

/// An observer of the items that records them and panics on `bad`.
fn panicking_on(
    items: &IterationItems,
    bad: u32,
) -> (Rc<RefCell<Vec<u32>>>, traits_core::ObserverGuard) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let guard = items.items().observe({
        let seen = Rc::clone(&seen);
        move |n| {
            seen.borrow_mut().push(*n);
            if *n == bad {
                panic!("observer exploded on item {bad}");
            }
        }
    });
    (seen, guard)
}

#[test]
fn after_an_observer_panics_out_of_dispatch_pending_the_rest_of_the_batch_gets_a_new_wake() {
    let batch = queued_batch();
    let (seen, _guard) = panicking_on(&batch.items, 3);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| batch.executor.dispatch_pending()));
    assert!(outcome.is_err());
    assert_eq!(*seen.borrow(), [0, 1, 2, 3]);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for the rest of the batch");
    batch.executor.dispatch_pending();
    assert_eq!(*seen.borrow(), (0..10).collect::<Vec<_>>());
    assert_eq!(batch.items.state().get(), FutureState::Completed);
    assert_eq!(batch.blocked.state().get(), FutureState::Executing);
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn after_an_observer_panics_out_of_run_until_a_notify_loop_is_woken_for_the_rest() {
    let batch = queued_batch();
    let (seen, _guard) = panicking_on(&batch.items, 6);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        batch
            .executor
            .run_until(|| batch.items.done().get(), Some(TEST_TIMEOUT))
    }));
    assert!(outcome.is_err());
    assert_eq!(*seen.borrow(), [0, 1, 2, 3, 4, 5, 6]);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for what the headless run left");
    batch.executor.dispatch_pending();
    assert_eq!(*seen.borrow(), (0..10).collect::<Vec<_>>());
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn after_a_done_observer_panics_another_futures_pending_messages_get_a_new_wake() {
    let batch = queued_batch();
    // Panics on the iteration's last message; the blocked call's `Started` is still queued.
    let _bomb = batch.items.done().observe(|_, done| {
        if *done {
            panic!("observer exploded on done");
        }
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| batch.executor.dispatch_pending()));
    assert!(outcome.is_err());
    assert_eq!(batch.items.state().get(), FutureState::Completed);
    assert_eq!(batch.blocked.state().get(), FutureState::Waiting);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for the other future's messages");
    batch.executor.dispatch_pending();
    assert_eq!(batch.blocked.state().get(), FutureState::Executing);
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panic_that_leaves_nothing_pending_requests_no_extra_wake() {
    let batch = queued_batch();
    batch.release.send(()).unwrap();
    // Dispatch everything but the blocked call's final message, which may still be on its way.
    let _bomb = batch.blocked.done().observe(|_, done| {
        if *done {
            panic!("observer exploded on the last message");
        }
    });
    batch
        .executor
        .run_until(|| batch.items.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    // Now wait for the blocked call's result, which panics the observer on the very last
    // message: nothing is left, so no wake is requested for it (workers are idle by then).
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        batch
            .executor
            .run_until(|| batch.blocked.done().get(), Some(TEST_TIMEOUT))
    }));
    assert!(outcome.is_err());
    assert!(batch.blocked.done().get());
    let before = batch.count.load(Ordering::SeqCst);
    assert_eq!(batch.executor.dispatch_pending(), 0);
    assert_eq!(batch.count.load(Ordering::SeqCst), before);
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
