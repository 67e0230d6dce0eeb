//! D: progress.

use super::*;

#[test]
fn d50_process_reports_arrive_in_order_then_the_result() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_progress(&executor, &pool, &STEPS, ()).unwrap();
    let reports = Recorder::event(future.reports());
    run(&executor, || future.done().get());
    assert_eq!(reports.values(), [(0, 3), (1, 3), (2, 3), (3, 3)]);
    assert_eq!(future.progress().get(), Some((3, 3)));
    assert_eq!(future.result(), Ok(&6));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d51_process_a_report_then_a_failure_delivers_the_report_then_failed() {
    let executor = executor();
    let pool = pool(1);
    let panics = submit_process_progress(&executor, &pool, &REPORT_THEN_FAIL, 0).unwrap();
    let errs = submit_process_progress(&executor, &pool, &REPORT_THEN_FAIL, 1).unwrap();
    let recorders = [
        (
            Recorder::event(panics.reports()),
            Recorder::observable(panics.state()),
        ),
        (
            Recorder::event(errs.reports()),
            Recorder::observable(errs.state()),
        ),
    ];
    run(&executor, || panics.done().get() && errs.done().get());
    for (reports, states) in &recorders {
        assert_eq!(reports.values(), [1]);
        assert_eq!(states.values(), [Waiting, Executing, Failed]);
    }
    assert_eq!(
        errs.error(),
        Ok(&TaskError::Error(ProcessError::Task(
            "failed after a report".to_string()
        )))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d52_process_task_already_ran_cancel_before_dispatch_gives_no_progress() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_progress(&executor, &pool, &STEPS, ()).unwrap();
    after_earlier_tasks(&executor, &pool);
    let reports = Recorder::event(future.reports());
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    run(&executor, || future.done().get());
    assert!(reports.is_empty());
    assert_eq!(future.progress().get(), None);
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d53_process_cancel_while_every_child_is_busy_never_calls_the_function() {
    let executor = executor();
    let pool = pool(1);
    let mut busy = Gate::new();
    let holder = submit_process_call(&executor, &pool, &GATED, busy.path()).unwrap();
    assert!(busy.wait_entered());
    let mut never = Gate::new();
    let future = submit_process_progress(&executor, &pool, &MARKED_REPORT, never.path()).unwrap();
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    busy.release();
    run(&executor, || future.done().get() && holder.done().get());
    after_earlier_tasks(&executor, &pool);
    assert!(!never.entered(), "the cancelled task never ran");
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d54_d55_d56_process_after_a_cancel_report_returns_task_cancelled_and_no_report_fires() {
    let executor = executor();
    // A grace period no test waits for: the task must stop by itself, through `?`.
    let pool = pool_tagged(1, Duration::from_secs(600), "tag-d54");
    let mut gate = Gate::new();
    let future =
        submit_process_progress(&executor, &pool, &REPORT_ACROSS_CANCEL, gate.path()).unwrap();
    let reports = Recorder::event(future.reports());
    assert!(gate.wait_entered());
    run(&executor, || !reports.is_empty());
    gate.release();
    assert_eq!(gate.read_line(), "sent, 0 refused");
    assert!(future.cancel());
    gate.release();
    assert_eq!(gate.read_line(), "report refused");
    run(&executor, || future.done().get());
    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(future.error().err(), Some(NotAvailable::NoError(Cancelled)));
    // d56: reports 1 to 3 were sent before the cancel and never fired.
    assert_eq!(reports.values(), [0]);
    assert_eq!(future.progress().get(), Some(0));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d57_process_cleanup_has_run_when_the_future_is_done_however_it_ends() {
    let executor = executor();
    let pool = pool(1);
    for (how, end) in [(0, Completed), (1, Failed), (2, Cancelled)] {
        let mut gate = Gate::new();
        let future =
            submit_process_progress(&executor, &pool, &WITH_CLEANUP, (gate.path(), how)).unwrap();
        assert!(gate.wait_entered());
        if how == 2 {
            run(&executor, || future.progress().get().is_some());
            assert!(future.cancel());
            gate.release();
        }
        run(&executor, || future.done().get());
        assert_eq!(future.state().get(), end);
        assert_eq!(gate.read_line(), "dropped", "cleanup before done ({end:?})");
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn process_futures_name_the_never_error_of_an_infallible_call() {
    // The error type of a call that cannot fail is `ProcessError<Never>`.
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (3, 2)).unwrap();
    run(&executor, || future.done().get());
    let error: Result<&TaskError<ProcessError<Never>>, NotAvailable> = future.error();
    assert_eq!(error, Err(NotAvailable::NoError(Completed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn process_a_suspended_future_holds_messages_back_and_on_resume_gets_them_all_in_order() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_iteration(&executor, &pool, &COUNT, 100_000).unwrap();
    let items = Recorder::event(future.items());
    run(&executor, || !items.is_empty());
    assert!(future.suspend());
    // Whatever was sent before the suspension arrives; then nothing more while suspended
    // (the relay waits in `send`, the pipe fills, the child waits in its write).
    while executor.dispatch_pending() > 0 {}
    let held_at = items.len();
    assert!(held_at < 100_000, "the task was held back");
    assert!(future.resume());
    run(&executor, || future.done().get());
    assert_eq!(future.result(), Ok(&100_000));
    assert_eq!(items.values(), (0..100_000).collect::<Vec<u32>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
