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

#[path = "../process_common/mod.rs"]
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

mod calls;
mod iterations;
mod progress;
mod state_machine;
