//! Behaviour sections A–D (`behaviour.md`) on the process context (issue 27): the same futures,
//! states, messages and cancels as the thread tests of `future/state.rs`, `tasks/call.rs`,
//! `tasks/iteration_*.rs` and `tasks/progress.rs`, with the tasks run in child processes. Each test is
//! named `<item>_process_…` after the item it proves.
//!
//! A task in a child is held with a gate (a Unix socket, `process_common`), never a sleep. A
//! task that "already ran" is one whose relay has ended: a pool of one child has one relay
//! thread, so once a second task of the pool has entered its gate, the first one's final
//! message waits for dispatch.

#![cfg(all(feature = "process", target_os = "linux"))]

mod process_common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use process_common::{enter, pass, pool, pool_tagged, tell, wait_released, Gate};
use traits_futures::process::{
    self, submit_process_call, submit_process_iteration, submit_process_progress, ChildContext,
    Never, ProcessCall, ProcessError, ProcessTask,
};
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{FutureState, NotAvailable, TaskCancelled, TaskError, TraitsExecutor};

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

// ---------------------------------------------------------------------------------------------
// The tasks

fn pow((base, exponent): (u32, u32)) -> u32 {
    base.pow(exponent)
}

/// Values of several kinds (b21).
type Values = (String, Vec<u8>, Option<i64>);

fn echo(values: Values) -> Values {
    values
}

fn panics(message: String) {
    panic!("{message}")
}

fn parse(text: String) -> Result<u32, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

/// Enters the gate and returns at once (marks that the task ran).
fn mark(gate: String) {
    drop(enter(&gate));
}

/// Waits at the gate, then returns 7.
fn gated(gate: String) -> u32 {
    assert!(pass(&gate));
    7
}

/// Waits at the gate, then panics.
fn gated_panic(gate: String) {
    assert!(pass(&gate));
    panic!("released, then panicked")
}

/// Waits at the gate, then fails.
fn gated_error(gate: String) -> Result<(), String> {
    assert!(pass(&gate));
    Err("released, then failed".to_string())
}

/// Sends 0..n, returns n.
fn count(n: u32, items: &ChildContext<'_, u32>) -> Result<u32, TaskCancelled> {
    for i in 0..n {
        items.send(i)?;
    }
    Ok(n)
}

/// A hand-written iterator (c31).
struct Countdown(u32);

impl Iterator for Countdown {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        self.0 = self.0.checked_sub(1)?;
        Some(self.0)
    }
}

/// Sends the items of the iterator `kind` names (c31).
fn any_iterator(kind: u8, items: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    let iterator: Box<dyn Iterator<Item = u32>> = match kind {
        0 => Box::new(0..3),
        1 => Box::new((0..3).map(|n| n * 10)),
        _ => Box::new(Countdown(3)),
    };
    for item in iterator {
        items.send(item)?;
    }
    Ok(())
}

/// Sends `sent` items, then panics (or, with `sent` past 100, panics before any).
fn fails_after(sent: u32, items: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    if sent <= 100 {
        for i in 0..sent {
            items.send(i)?;
        }
    }
    panic!("failed after {sent} items")
}

/// A generator whose setup fails with its own error.
fn setup_fails(_: (), _: &ChildContext<'_, u32>) -> Result<(), String> {
    Err("could not open the source".to_string())
}

/// Tells the gate "dropped" when dropped.
struct Cleanup(std::os::unix::net::UnixStream);

impl Drop for Cleanup {
    fn drop(&mut self) {
        tell(&mut self.0, "dropped");
    }
}

/// Sends 0, waits at the gate, sends 1, 2 and 3 (each refused after a cancel), tells the
/// gate "sent" and waits again; tells the gate "dropped" when it ends, however it ends.
fn first_then_more(gate: String, items: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    let mut stream = enter(&gate);
    let _cleanup = Cleanup(stream.try_clone().unwrap());
    items.send(0)?;
    wait_released(&mut stream);
    let refused = (1..4).filter(|&i| items.send(i).is_err()).count();
    tell(&mut stream, &format!("sent, {refused} refused"));
    wait_released(&mut stream);
    items.send(4)?;
    Ok(())
}

/// Sends items until a send is refused; tells the gate how many it sent.
fn until_cancelled(gate: String, items: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    let mut stream = enter(&gate);
    let mut sent = 0;
    while items.send(sent).is_ok() {
        sent += 1;
    }
    tell(&mut stream, &format!("stopped after {sent}"));
    Err(TaskCancelled)
}

/// Enters the gate (marks that it ran), then counts like `count`.
fn marked_count(gate: String, items: &ChildContext<'_, u32>) -> Result<u32, TaskCancelled> {
    drop(enter(&gate));
    count(3, items)
}

/// Reports (0,3), (1,3), (2,3), (3,3) and returns 6 (d50).
fn steps(_: (), progress: &ChildContext<'_, (u32, u32)>) -> Result<u32, TaskCancelled> {
    let mut sum = 0;
    for step in 0..=3 {
        progress.report((step, 3))?;
        sum += step;
    }
    Ok(sum)
}

/// Reports once, then panics (`fail` 0) or fails with its own error (1).
fn report_then_fail(fail: u8, progress: &ChildContext<'_, u32>) -> Result<(), String> {
    progress.report(1).map_err(|e| e.to_string())?;
    match fail {
        0 => panic!("failed after a report"),
        _ => Err("failed after a report".to_string()),
    }
}

/// Enters the gate (marks that it ran), reports once and returns.
fn marked_report(gate: String, progress: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    drop(enter(&gate));
    progress.report(1)
}

/// Reports 0, waits at the gate, then reports 1, 2, 3 (telling the gate how many were
/// refused), waits again, then until it sees the cancel, and reports 4; tells the gate
/// "dropped" when it ends.
fn report_across_cancel(
    gate: String,
    progress: &ChildContext<'_, u32>,
) -> Result<(), TaskCancelled> {
    let mut stream = enter(&gate);
    let _cleanup = Cleanup(stream.try_clone().unwrap());
    progress.report(0)?;
    wait_released(&mut stream);
    let refused = (1..4).filter(|&i| progress.report(i).is_err()).count();
    tell(&mut stream, &format!("sent, {refused} refused"));
    wait_released(&mut stream);
    // A cancel reaches a child through its pipe, a moment after `cancel()` returns: wait for it.
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while !progress.cancelled() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    match progress.report(4) {
        Err(TaskCancelled) => {
            tell(&mut stream, "report refused");
            Err(TaskCancelled)
        }
        Ok(()) => Ok(()),
    }
}

/// Owns a cleanup guard and ends as `how` says: 0 returns, 1 panics, 2 waits at the gate
/// for a cancel.
fn with_cleanup(
    (gate, how): (String, u8),
    progress: &ChildContext<'_, u32>,
) -> Result<u32, TaskCancelled> {
    let mut stream = enter(&gate);
    let _cleanup = Cleanup(stream.try_clone().unwrap());
    progress.report(1)?;
    match how {
        0 => Ok(1),
        1 => panic!("failed with a guard"),
        _ => {
            wait_released(&mut stream);
            progress.report(2)?;
            Ok(2)
        }
    }
}

const POW: ProcessCall<(u32, u32), u32> = ProcessCall::new("pow", pow);
const ECHO: ProcessCall<Values, Values> = ProcessCall::new("echo", echo);
const PANICS: ProcessCall<String, ()> = ProcessCall::new("panics", panics);
const PARSE: ProcessCall<String, u32, String> = ProcessCall::fallible("parse", parse);
const MARK: ProcessCall<String, ()> = ProcessCall::new("mark", mark);
const GATED: ProcessCall<String, u32> = ProcessCall::new("gated", gated);
const GATED_PANIC: ProcessCall<String, ()> = ProcessCall::new("gated_panic", gated_panic);
const GATED_ERROR: ProcessCall<String, (), String> =
    ProcessCall::fallible("gated_error", gated_error);
const COUNT: ProcessTask<u32, u32, u32> = ProcessTask::new("count", count);
const ANY_ITERATOR: ProcessTask<u8, u32, ()> = ProcessTask::new("any_iterator", any_iterator);
const FAILS_AFTER: ProcessTask<u32, u32, ()> = ProcessTask::new("fails_after", fails_after);
const SETUP_FAILS: ProcessTask<(), u32, (), String> = ProcessTask::new("setup_fails", setup_fails);
const FIRST_THEN_MORE: ProcessTask<String, u32, ()> =
    ProcessTask::new("first_then_more", first_then_more);
const UNTIL_CANCELLED: ProcessTask<String, u32, ()> =
    ProcessTask::new("until_cancelled", until_cancelled);
const MARKED_COUNT: ProcessTask<String, u32, u32> = ProcessTask::new("marked_count", marked_count);
const STEPS: ProcessTask<(), (u32, u32), u32> = ProcessTask::new("steps", steps);
const REPORT_THEN_FAIL: ProcessTask<u8, u32, (), String> =
    ProcessTask::new("report_then_fail", report_then_fail);
const MARKED_REPORT: ProcessTask<String, u32, ()> =
    ProcessTask::new("marked_report", marked_report);
const REPORT_ACROSS_CANCEL: ProcessTask<String, u32, ()> =
    ProcessTask::new("report_across_cancel", report_across_cancel);
const WITH_CLEANUP: ProcessTask<(String, u8), u32, u32> =
    ProcessTask::new("with_cleanup", with_cleanup);

#[test]
fn child_entry_point() {
    process::init(&[
        &POW,
        &ECHO,
        &PANICS,
        &PARSE,
        &MARK,
        &GATED,
        &GATED_PANIC,
        &GATED_ERROR,
        &COUNT,
        &ANY_ITERATOR,
        &FAILS_AFTER,
        &SETUP_FAILS,
        &FIRST_THEN_MORE,
        &UNTIL_CANCELLED,
        &MARKED_COUNT,
        &STEPS,
        &REPORT_THEN_FAIL,
        &MARKED_REPORT,
        &REPORT_ACROSS_CANCEL,
        &WITH_CLEANUP,
    ]);
}

fn executor() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(2).build().unwrap()
}

/// Waits until the pool's one relay thread has ended every task submitted before this:
/// runs `MARK` on it and waits for it to enter its gate.
fn after_earlier_tasks(executor: &TraitsExecutor, pool: &process::ProcessPool) {
    let mut gate = Gate::new();
    let _marker = submit_process_call(executor, pool, &MARK, gate.path()).unwrap();
    assert!(gate.wait_entered(), "the marker ran");
}

fn run(executor: &TraitsExecutor, done: impl FnMut() -> bool) {
    executor.run_until(done, Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A: the future's state machine, fed by a task in a process

#[test]
fn a01_process_a_new_future_is_waiting_cancellable_and_not_done() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(!future.done().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a02_process_observers_of_state_cancellable_and_done_see_them_agree_in_that_order() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let disagreements = Rc::new(Cell::new(0));
    let agree = {
        let future = future.clone();
        move || {
            let state = future.state().get();
            future.cancellable().get() == state.is_cancellable()
                && future.done().get() == state.is_done()
        }
    };
    let mut guards = Vec::new();
    for (name, observe) in [("state", 0), ("cancellable", 1), ("done", 2)] {
        let (order, disagreements, agree) = (order.clone(), disagreements.clone(), agree.clone());
        let check = move || {
            order.borrow_mut().push(name);
            if !agree() {
                disagreements.set(disagreements.get() + 1);
            }
        };
        guards.push(match observe {
            0 => future.state().observe(move |_, _| check()),
            1 => future.cancellable().observe(move |_, _| check()),
            _ => future.done().observe(move |_, _| check()),
        });
    }
    run(&executor, || future.done().get());
    assert_eq!(disagreements.get(), 0);
    assert_eq!(*order.borrow(), ["state", "state", "cancellable", "done"]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a03_a04_process_paths_sr_and_sx_flip_cancellable_and_done_once_each() {
    let executor = executor();
    let pool = pool(1);
    let completes = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let fails = submit_process_call(&executor, &pool, &PARSE, "x".to_string()).unwrap();
    let recorders = (
        Recorder::observable(completes.cancellable()),
        Recorder::observable(completes.done()),
        Recorder::observable(fails.cancellable()),
        Recorder::observable(fails.done()),
    );
    run(&executor, || completes.done().get() && fails.done().get());
    assert_eq!(recorders.0.values(), [true, false]);
    assert_eq!(recorders.1.values(), [false, true]);
    assert_eq!(recorders.2.values(), [true, false]);
    assert_eq!(recorders.3.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a05_process_path_scr_flips_cancellable_at_the_cancel_and_done_at_the_end() {
    let executor = executor();
    let pool = pool(1);
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &GATED, gate.path()).unwrap();
    let cancellable = Recorder::observable(future.cancellable());
    let done = Recorder::observable(future.done());
    assert!(gate.wait_entered());
    run(&executor, || future.state().get() == Executing);
    assert!(future.cancel());
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false]);
    gate.release();
    run(&executor, || future.done().get());
    assert_eq!(done.values(), [false, true]);
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a16_process_submitting_changes_no_state_even_when_the_task_already_finished() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    after_earlier_tasks(&executor, &pool);
    assert_eq!(future.state().get(), Waiting);
    run(&executor, || future.done().get());
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// B: calls

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

// ---------------------------------------------------------------------------------------------
// C: iterations

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

// ---------------------------------------------------------------------------------------------
// D: progress

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
