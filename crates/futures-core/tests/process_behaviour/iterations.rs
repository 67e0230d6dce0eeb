//! C: iterations.

use super::*;

#[test]
fn c30_process_items_arrive_once_each_in_order() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &COUNT, 1000).unwrap();
    let items = Recorder::event(future.items());
    run(&executor, || future.done().get());
    assert_eq!(items.values(), (0..1000).collect::<Vec<u32>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c31_process_any_iterator_is_accepted() {
    let executor = executor();
    let pool = pool(1);
    for (kind, expected) in [(0, [0, 1, 2]), (1, [0, 10, 20]), (2, [2, 1, 0])] {
        let future = submit_process_iteration(&executor, &pool, &ANY_ITERATOR, kind).unwrap();
        let items = Recorder::event(future.items());
        run(&executor, || future.done().get());
        assert_eq!(items.values(), expected);
        assert_eq!(future.state().get(), Completed);
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c32_process_setup_fails_then_executing_then_failed_with_no_items() {
    let executor = executor();
    let pool = pool(1);
    let panics = submit_process_iteration(&executor, &pool, &FAILS_AFTER, 1000).unwrap();
    let errs = submit_process_iteration(&executor, &pool, &SETUP_FAILS, ()).unwrap();
    let recorders = [
        (
            Recorder::observable(panics.state()),
            Recorder::event(panics.items()),
        ),
        (
            Recorder::observable(errs.state()),
            Recorder::event(errs.items()),
        ),
    ];
    run(&executor, || panics.done().get() && errs.done().get());
    for (states, items) in &recorders {
        assert_eq!(states.values(), [Waiting, Executing, Failed]);
        assert!(items.is_empty());
    }
    assert_eq!(
        panics.error(),
        Ok(&TaskError::Panicked("failed after 1000 items".to_string()))
    );
    assert_eq!(
        errs.error(),
        Ok(&TaskError::Error(ProcessError::Task(
            "could not open the source".to_string()
        )))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c33_process_failure_partway_delivers_earlier_items_then_failed() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &FAILS_AFTER, 3).unwrap();
    let items = Recorder::event(future.items());
    let states = Recorder::observable(future.state());
    run(&executor, || future.done().get());
    assert_eq!(items.values(), [0, 1, 2]);
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c34_process_cancel_before_any_dispatch_gives_no_items() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &COUNT, 5).unwrap();
    after_earlier_tasks(&executor, &pool);
    let items = Recorder::event(future.items());
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    run(&executor, || future.done().get());
    assert!(items.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c35_c39_process_cancel_after_the_first_item_delivers_no_later_item_and_drops_the_task_first() {
    let executor = executor();
    let pool = pool(1);
    let mut gate = Gate::new();
    let future = submit_process_iteration(&executor, &pool, &FIRST_THEN_MORE, gate.path()).unwrap();
    let items = Recorder::event(future.items());
    let states = Recorder::observable(future.state());
    assert!(gate.wait_entered());
    run(&executor, || !items.is_empty());
    assert_eq!(items.values(), [0]);
    gate.release();
    // Items 1, 2 and 3 are sent, not yet dispatched.
    assert_eq!(gate.read_line(), "sent, 0 refused");
    assert!(future.cancel());
    gate.release();
    run(&executor, || future.done().get());
    assert_eq!(items.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    // c39: the task's values were dropped before the future was done.
    assert_eq!(gate.read_line(), "dropped");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(items.values(), [0]);
}

#[test]
fn c36_process_cancel_after_the_last_item_ends_cancelled_not_completed() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &COUNT, 3).unwrap();
    let items = Recorder::event(future.items());
    run(&executor, || items.len() == 3);
    assert!(future.cancel());
    run(&executor, || future.done().get());
    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c37_process_cancel_while_every_child_is_busy_gives_no_items_and_never_runs() {
    let executor = executor();
    let pool = pool(1);
    let mut busy = Gate::new();
    let holder = submit_process_call(&executor, &pool, &GATED, busy.path()).unwrap();
    assert!(busy.wait_entered());
    let mut never = Gate::new();
    let future = submit_process_iteration(&executor, &pool, &MARKED_COUNT, never.path()).unwrap();
    let items = Recorder::event(future.items());
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    busy.release();
    run(&executor, || future.done().get() && holder.done().get());
    after_earlier_tasks(&executor, &pool);
    assert!(!never.entered(), "the cancelled task never ran");
    assert!(items.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c38_process_after_a_cancel_the_task_stops_pulling_items() {
    let executor = executor();
    // A grace period no test waits for: the task must stop by itself.
    let pool = pool_tagged(1, Duration::from_secs(600), "tag-c38");
    let mut gate = Gate::new();
    let future = submit_process_iteration(&executor, &pool, &UNTIL_CANCELLED, gate.path()).unwrap();
    let items = Recorder::event(future.items());
    assert!(gate.wait_entered());
    run(&executor, || items.len() >= 10);
    assert!(future.cancel());
    run(&executor, || future.done().get());
    assert_eq!(future.state().get(), Cancelled);
    assert!(gate.read_line().starts_with("stopped after "));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c41_process_a_generator_return_value_becomes_the_result() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &COUNT, 4).unwrap();
    let items = Recorder::event(future.items());
    run(&executor, || future.done().get());
    assert_eq!(items.values(), [0, 1, 2, 3]);
    assert_eq!(future.result(), Ok(&4));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
