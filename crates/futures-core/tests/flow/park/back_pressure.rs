//! Back-pressure: a bounded task's `send` waits while its capacity of messages wait.

use super::*;

#[test]
fn back_pressure_a_bounded_send_stops_at_capacity_until_the_main_thread_takes_the_items() {
    for bound in [1, 3] {
        let executor = TraitsExecutor::new();
        let (future, counters, ended_rx) = counting_generator(&executor, Some(bound), 3 * bound);
        let items = Recorder::event(future.items());

        // Nothing dispatched: the worker sends `bound` items and blocks in the next send.
        counters.assert_blocked_after(bound);
        // One dispatch takes the waiting items at once: the worker goes on, to the next bound.
        executor.dispatch_pending();
        assert_eq!(items.values(), (0..bound).collect::<Vec<_>>());
        counters.assert_blocked_after(2 * bound);

        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(ended(&ended_rx), Ok(()));
        assert_eq!(future.state().get(), Completed);
        assert_eq!(items.values(), (0..3 * bound).collect::<Vec<_>>());
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_a_bounded_iteration_delivers_every_item_in_order() {
    for bound in [1, 2, 64] {
        let executor = TraitsExecutor::new();
        let future = submit_iteration_bounded(&executor, capacity(bound), || 0..2_000u32).unwrap();
        let items = Recorder::event(future.items());
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Completed);
        assert_eq!(
            items.values(),
            (0..2_000).collect::<Vec<_>>(),
            "capacity {bound}"
        );
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_a_bounded_iteration_pulls_no_further_than_its_capacity() {
    let executor = TraitsExecutor::new();
    let pulled = Arc::new(AtomicUsize::new(0));
    let future = submit_iteration_bounded(&executor, capacity(2), {
        let pulled = Arc::clone(&pulled);
        move || {
            (0..10).inspect(move |_| {
                pulled.fetch_add(1, SeqCst);
            })
        }
    })
    .unwrap();
    // Two items wait; the third is pulled and its send blocks.
    await_condition("the iteration pulls three items", || {
        pulled.load(SeqCst) == 3
    });
    thread::sleep(STILL); // negative check: no fourth item is pulled
    assert_eq!(pulled.load(SeqCst), 3);
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A custom task with a capacity of its own.
struct Rows {
    count: usize,
    counters: Counters,
}

impl BackgroundTask for Rows {
    type Message = usize;
    type Output = usize;
    type Error = TaskCancelled;
    fn run(self, context: &TaskContext<'_, usize>) -> Result<usize, TaskCancelled> {
        for row in 0..self.count {
            self.counters.send(context, row)?;
        }
        Ok(self.count)
    }
    fn capacity(&self) -> Option<NonZeroUsize> {
        NonZeroUsize::new(4)
    }
}

#[test]
fn back_pressure_a_custom_task_bounds_its_sends_by_its_capacity() {
    let executor = TraitsExecutor::new();
    let counters = Counters::default();
    let future: IterationFuture<usize, usize, TaskCancelled> = executor
        .submit((
            IterationHandler::default(),
            Rows {
                count: 10,
                counters: counters.clone(),
            },
        ))
        .unwrap();
    counters.assert_blocked_after(4);
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&10));
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn back_pressure_cancel_unblocks_a_blocked_send_at_once() {
    for bound in [1, 5] {
        let executor = TraitsExecutor::new();
        let (future, counters, ended_rx) = counting_generator(&executor, Some(bound), 100);
        counters.assert_blocked_after(bound);
        // No dispatch from here on until the worker reports: the cancel alone wakes it.
        assert!(future.cancel());
        assert_eq!(ended(&ended_rx), Err(TaskCancelled));
        assert_eq!(counters.sent(), bound);
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_executor_stop_and_shutdown_unblock_a_blocked_send() {
    // stop(), then the event loop until Stopped.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(2), 100);
    counters.assert_blocked_after(2);
    executor.stop().unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();

    // shutdown() alone.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(1), 100);
    counters.assert_blocked_after(1);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn back_pressure_a_dropped_executor_unblocks_a_blocked_send() {
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(3), 100);
    counters.assert_blocked_after(3);
    drop(executor);
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn back_pressure_unbounded_stays_the_default_and_never_blocks_the_worker() {
    // A generator and an iteration, with nothing dispatched: each worker ends on its own.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, None, 10_000);
    assert_eq!(ended(&ended_rx), Ok(()));
    assert_eq!(counters.sent(), 10_000);
    let (done_tx, done_rx) = mpsc::channel();
    let iteration = submit_iteration(&executor, move || {
        (0..10_000u32).chain(std::iter::once_with(move || {
            let _ = done_tx.send(());
            10_000
        }))
    })
    .unwrap();
    done_rx.recv_timeout(TEST_TIMEOUT).unwrap();

    // A custom task without `capacity`: unbounded too.
    struct Plain;
    impl BackgroundTask for Plain {
        type Message = u8;
        type Output = ();
        type Error = Infallible;
        fn run(self, _: &TaskContext<'_, u8>) -> Result<(), Infallible> {
            Ok(())
        }
    }
    assert_eq!(Plain.capacity(), None);

    let items = Recorder::event(future.items());
    let more = Recorder::event(iteration.items());
    executor
        .run_until(
            || future.done().get() && iteration.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(items.len(), 10_000);
    assert_eq!(more.len(), 10_001);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
