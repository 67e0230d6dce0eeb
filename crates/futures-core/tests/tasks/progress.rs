//! Background progress: behaviour.md section D (d50–d57).
//!
//! Synchronisation with the worker uses channels only: a task that must wait blocks on an
//! `mpsc` receive that the test controls, and tells the test where it is through another
//! channel. No test sleeps.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_progress, submit_try_progress, CallFuture, FutureState, NotAvailable,
    ProgressFuture, ProgressReporter, TaskCancelled, TaskError, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

/// Sets its flag when dropped: proves that the owner's cleanup ran.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// An executor whose only worker is busy until the returned sender sends (or is dropped).
/// Returns once the blocking call is known to be running.
fn busy_single_worker_executor() -> (TraitsExecutor, CallFuture<bool>, mpsc::Sender<()>) {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (release, released) = mpsc::channel::<()>();
    let blocker = submit_call(&executor, move || released.recv().is_ok()).unwrap();
    executor
        .run_until(|| blocker.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    (executor, blocker, release)
}

/// Records, when the future becomes done, whether `flag` was already set.
fn flag_when_done<P, T, E>(
    future: &ProgressFuture<P, T, E>,
    flag: &Arc<AtomicBool>,
) -> (Rc<Cell<Option<bool>>>, traits_core::ObserverGuard)
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let seen = Rc::new(Cell::new(None));
    let guard = future.done().observe({
        let seen = Rc::clone(&seen);
        let flag = Arc::clone(flag);
        move |_, done| {
            if *done {
                seen.set(Some(flag.load(Ordering::SeqCst)));
            }
        }
    });
    (seen, guard)
}

#[test]
fn d50_reports_arrive_in_order_then_the_result() {
    let executor = TraitsExecutor::new();
    let future = submit_progress(&executor, |reporter| {
        let mut sum = 0;
        for i in 0..=3 {
            reporter.report((i, 3))?;
            sum += i;
        }
        Ok(sum)
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Rc::new(Recorder::event(future.reports()));
    let reports_at_completion = Rc::new(Cell::new(None));
    let _guard = future.state().observe({
        let progress = Rc::clone(&progress);
        let reports_at_completion = Rc::clone(&reports_at_completion);
        move |_, new| {
            if *new == Completed {
                reports_at_completion.set(Some(progress.len()));
            }
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(progress.values(), [(0, 3), (1, 3), (2, 3), (3, 3)]);
    assert_eq!(reports_at_completion.get(), Some(4));
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&6));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Completed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d51_a_report_then_a_panic_delivers_the_report_then_failed() {
    let executor = TraitsExecutor::new();
    let future = submit_progress(&executor, |reporter| -> Result<u32, TaskCancelled> {
        reporter.report("copied 1 of 3")?;
        panic!("disk full");
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Rc::new(Recorder::event(future.reports()));
    let reports_at_failure = Rc::new(Cell::new(None));
    let _guard = future.state().observe({
        let progress = Rc::clone(&progress);
        let reports_at_failure = Rc::clone(&reports_at_failure);
        move |_, new| {
            if *new == Failed {
                reports_at_failure.set(Some(progress.len()));
            }
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(progress.values(), ["copied 1 of 3"]);
    assert_eq!(reports_at_failure.get(), Some(1));
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(future.error().unwrap().panic_message(), Some("disk full"));
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[derive(Debug, PartialEq)]
enum CopyError {
    Cancelled,
    DiskFull { free: u64 },
}

impl From<TaskCancelled> for CopyError {
    fn from(_: TaskCancelled) -> Self {
        CopyError::Cancelled
    }
}

#[test]
fn d51_a_report_then_an_error_delivers_the_report_then_failed() {
    let executor = TraitsExecutor::new();
    let future = submit_try_progress(&executor, |reporter| -> Result<(), CopyError> {
        reporter.report(1u32)?;
        reporter.report(2)?;
        Err(CopyError::DiskFull { free: 0 })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(progress.values(), [1, 2]);
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(CopyError::DiskFull { free: 0 }))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d52_task_already_ran_cancel_before_dispatch_gives_no_progress() {
    let executor = TraitsExecutor::new();
    let (finished_tx, finished_rx) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        for i in 0..=3 {
            reporter.report((i, 3))?;
        }
        finished_tx.send(()).unwrap();
        Ok(6)
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    finished_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    // Every report has been sent, none dispatched.
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert!(progress.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d53_cancel_while_every_worker_is_busy_never_calls_the_closure() {
    let (executor, blocker, release) = busy_single_worker_executor();
    let called = Arc::new(AtomicBool::new(false));
    let future = submit_progress(&executor, {
        let called = Arc::clone(&called);
        move |reporter| {
            called.store(true, Ordering::SeqCst);
            reporter.report(0)?;
            Ok(())
        }
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    assert!(future.cancel());
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert!(!called.load(Ordering::SeqCst), "the closure was called");
    assert!(progress.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(blocker.result(), Ok(&true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d54_after_cancel_report_returns_task_cancelled_and_the_future_ends_cancelled() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let after_question_mark = Arc::new(AtomicBool::new(false));
    let future = submit_progress(&executor, {
        let after_question_mark = Arc::clone(&after_question_mark);
        move |reporter| {
            reporter.report(0)?;
            let _ = gate_rx.recv();
            let second = reporter.report(1);
            outcome_tx.send(second).unwrap();
            second?;
            after_question_mark.store(true, Ordering::SeqCst);
            Ok("finished")
        }
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| !progress.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    assert_eq!(
        outcome_rx.recv_timeout(TEST_TIMEOUT),
        Ok(Err(TaskCancelled))
    );
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert!(
        !after_question_mark.load(Ordering::SeqCst),
        "`?` did not end the task"
    );
    assert_eq!(progress.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d54_own_error_type_converted_from_task_cancelled_still_ends_cancelled_not_failed() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let future = submit_try_progress(&executor, move |reporter| -> Result<(), CopyError> {
        reporter.report(0u32)?;
        let _ = gate_rx.recv();
        let second = reporter.report(1).map_err(CopyError::from);
        let failed = second.is_err();
        outcome_tx.send(second).unwrap();
        if failed {
            return Err(CopyError::Cancelled);
        }
        Ok(())
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| !progress.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    assert_eq!(
        outcome_rx.recv_timeout(TEST_TIMEOUT),
        Ok(Err(CopyError::Cancelled))
    );
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(progress.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// User code that names `TaskCancelled` in its own signature.
fn copy_step(reporter: &ProgressReporter<'_, u32>, step: u32) -> Result<u32, TaskCancelled> {
    reporter.report(step)?;
    Ok(step + 1)
}

/// A user error type that wraps `TaskCancelled`.
#[derive(Debug)]
enum JobError {
    Stopped(TaskCancelled),
}

impl From<TaskCancelled> for JobError {
    fn from(cancelled: TaskCancelled) -> Self {
        JobError::Stopped(cancelled)
    }
}

#[test]
fn d55_task_cancelled_is_a_public_type_user_code_can_name_and_match() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = mpsc::channel::<Result<u32, JobError>>();
    let future = submit_progress(&executor, move |reporter| {
        let next = copy_step(reporter, 0)?;
        let _ = gate_rx.recv();
        outcome_tx
            .send(copy_step(reporter, next).map_err(JobError::from))
            .unwrap();
        Ok(())
    })
    .unwrap();
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| !progress.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    gate_tx.send(()).unwrap();

    let outcome = outcome_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    let matched = match outcome {
        Err(JobError::Stopped(TaskCancelled)) => "cancelled",
        Ok(_) => "not cancelled",
    };
    assert_eq!(matched, "cancelled");
    // It is an ordinary error type: Display, std::error::Error, Copy, Eq, Hash.
    let as_error: Box<dyn std::error::Error + Send + Sync> = Box::new(TaskCancelled);
    assert_eq!(as_error.to_string(), "the task was cancelled");
    let copy = TaskCancelled;
    assert_eq!(copy, TaskCancelled);
    let set: std::collections::HashSet<TaskCancelled> = [copy, TaskCancelled].into();
    assert_eq!(set.len(), 1);

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d56_no_progress_after_cancel_even_for_reports_sent_before_it() {
    let executor = TraitsExecutor::new();
    let (gate1_tx, gate1_rx) = mpsc::channel::<()>();
    let (gate2_tx, gate2_rx) = mpsc::channel::<()>();
    let (sent_tx, sent_rx) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        reporter.report(0)?;
        let _ = gate1_rx.recv();
        for i in 1..=3 {
            reporter.report(i)?;
        }
        sent_tx.send(()).unwrap();
        let _ = gate2_rx.recv();
        Ok(())
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| !progress.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    gate1_tx.send(()).unwrap();
    // Reports 1, 2 and 3 are sent (queued), not dispatched.
    sent_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_eq!(progress.values(), [0]);
    assert!(future.cancel());
    let _ = gate2_tx.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(progress.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(progress.values(), [0]);
}

#[test]
fn d57_cleanup_has_run_when_the_future_completes() {
    let executor = TraitsExecutor::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let future = submit_progress(&executor, move |reporter| {
        let _owned = flag;
        reporter.report(1)?;
        Ok(2)
    })
    .unwrap();
    let (flag_at_done, _guard) = flag_when_done(&future, &dropped);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), Completed);
    assert_eq!(flag_at_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d57_cleanup_has_run_when_the_cancelled_future_is_done() {
    let executor = TraitsExecutor::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        let _owned = flag;
        reporter.report(0)?;
        let _ = gate_rx.recv();
        reporter.report(1)?; // fails: cancelled
        Ok(())
    })
    .unwrap();
    let (flag_at_done, _guard) = flag_when_done(&future, &dropped);
    let progress = Recorder::event(future.reports());
    executor
        .run_until(|| !progress.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    assert!(!dropped.load(Ordering::SeqCst));
    gate_tx.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(flag_at_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d57_cleanup_has_run_when_the_failed_future_is_done() {
    let executor = TraitsExecutor::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let future = submit_progress(&executor, move |reporter| -> Result<(), TaskCancelled> {
        let _owned = flag;
        reporter.report(0)?;
        panic!("interrupted copy");
    })
    .unwrap();
    let (flag_at_done, _guard) = flag_when_done(&future, &dropped);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), Failed);
    assert_eq!(flag_at_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d57_cleanup_has_run_when_a_never_started_future_is_done() {
    let (executor, blocker, release) = busy_single_worker_executor();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let future = submit_progress(&executor, move |reporter| {
        let _owned = flag;
        reporter.report(0)?;
        Ok(())
    })
    .unwrap();
    let (flag_at_done, _guard) = flag_when_done(&future, &dropped);
    assert!(future.cancel());
    release.send(()).unwrap();
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(flag_at_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
