//! B: calls.

use super::*;

#[test]
fn b20_process_pow_2_3_gives_8_through_waiting_executing_completed() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let states = Recorder::observable(future.state());
    run(&executor, || future.done().get());
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b21_process_arguments_reach_the_task_unchanged() {
    let executor = executor();
    let pool = pool(1);
    let input = ("héllo\nworld".to_string(), vec![0, 255, 10, 13], Some(-42));
    let future = submit_process_call(&executor, &pool, &ECHO, input.clone()).unwrap();
    run(&executor, || future.done().get());
    assert_eq!(future.result(), Ok(&input));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b22_process_a_panicking_task_fails_with_its_panic_message() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &PANICS, "boom 42".to_string()).unwrap();
    let states = Recorder::observable(future.state());
    run(&executor, || future.done().get());
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Panicked("boom 42".to_string()))
    );
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b22_process_a_fallible_task_error_arrives_typed() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &PARSE, "forty-two".to_string()).unwrap();
    let states = Recorder::observable(future.state());
    run(&executor, || future.done().get());
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(ProcessError::Task(
            "not a number: forty-two".to_string()
        )))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b23_process_cancel_after_the_task_ran_but_before_dispatch() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    after_earlier_tasks(&executor, &pool);
    let states = Recorder::observable(future.state());
    assert!(future.cancellable().get());
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    run(&executor, || future.done().get());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error().err(), Some(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b24_process_cancel_while_every_child_is_busy_never_runs() {
    let executor = executor();
    let pool = pool(1);
    let mut busy = Gate::new();
    let holder = submit_process_call(&executor, &pool, &GATED, busy.path()).unwrap();
    assert!(busy.wait_entered());
    let mut never = Gate::new();
    let future = submit_process_call(&executor, &pool, &MARK, never.path()).unwrap();
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    busy.release();
    run(&executor, || future.done().get() && holder.done().get());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    after_earlier_tasks(&executor, &pool);
    assert!(!never.entered(), "the cancelled task never ran");
    assert_eq!(holder.result(), Ok(&7));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b25_process_cancel_while_executing_then_the_task_returns() {
    let executor = executor();
    let pool = pool(1);
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &GATED, gate.path()).unwrap();
    let states = Recorder::observable(future.state());
    assert!(gate.wait_entered());
    run(&executor, || future.state().get() == Executing);
    assert!(future.cancel());
    gate.release();
    run(&executor, || future.done().get());
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b26_process_cancel_while_executing_then_the_task_panics_or_fails() {
    let executor = executor();
    let pool = pool(2);
    let mut panic_gate = Gate::new();
    let mut error_gate = Gate::new();
    let panics = submit_process_call(&executor, &pool, &GATED_PANIC, panic_gate.path()).unwrap();
    let fails = submit_process_call(&executor, &pool, &GATED_ERROR, error_gate.path()).unwrap();
    let states = (
        Recorder::observable(panics.state()),
        Recorder::observable(fails.state()),
    );
    assert!(panic_gate.wait_entered() && error_gate.wait_entered());
    run(&executor, || {
        panics.state().get() == Executing && fails.state().get() == Executing
    });
    assert!(panics.cancel() && fails.cancel());
    panic_gate.release();
    error_gate.release();
    run(&executor, || panics.done().get() && fails.done().get());
    for (states, error) in [
        (&states.0, panics.error().err()),
        (&states.1, fails.error().err()),
    ] {
        assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
        assert_eq!(error, Some(NotAvailable::NoError(Cancelled)));
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b27_process_cancel_after_completed_or_failed_is_refused_and_changes_nothing() {
    let executor = executor();
    let pool = pool(1);
    let completed = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let failed = submit_process_call(&executor, &pool, &PANICS, "x".to_string()).unwrap();
    run(&executor, || completed.done().get() && failed.done().get());
    for (cancellable, cancel, state) in [
        (
            completed.cancellable().get(),
            completed.cancel(),
            completed.state().get(),
        ),
        (
            failed.cancellable().get(),
            failed.cancel(),
            failed.state().get(),
        ),
    ] {
        assert!(!cancellable);
        assert!(!cancel);
        assert!(state == Completed || state == Failed);
    }
    assert_eq!(completed.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b28_process_first_cancel_returns_true_and_is_cancelling_at_once_second_false() {
    let executor = executor();
    let pool = pool(1);
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &GATED, gate.path()).unwrap();
    assert!(gate.wait_entered());
    run(&executor, || future.state().get() == Executing);
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    assert!(!future.cancel());
    gate.release();
    run(&executor, || future.done().get());
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
