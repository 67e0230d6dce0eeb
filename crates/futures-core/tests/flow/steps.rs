//! Issue 23 §5: steps, structured progress (a message, a total and a count, each an observable
//! of the future), written on the public custom-task API.
//!
//! Synchronisation with the worker uses channels only; no test sleeps.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use futures::executor::block_on;
use futures::StreamExt;
use futures_signals::signal::SignalExt;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_steps, submit_try_steps, FutureState, Steps, TaskCancelled, TaskError, TraitsExecutor,
};

fn steps(message: &str, total: Option<u64>, complete: u64) -> Steps {
    Steps {
        message: message.to_string(),
        total,
        complete,
    }
}

#[test]
fn steps_arrive_in_order_and_the_observables_follow_them() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(Some(4), "opening")?;
        reporter.step("read the header")?;
        reporter.set_message("reading the body")?;
        reporter.set_complete(3, "read the body")?;
        reporter.step("closed")?;
        Ok(42)
    })
    .unwrap();
    let records = Recorder::derived(future.steps());
    let messages = Recorder::derived(future.message());
    let totals = Recorder::derived(future.total());
    let completes = Recorder::derived(future.complete());
    let fractions = Recorder::derived(future.fraction());

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(
        records.values(),
        [
            Steps::default(),
            steps("opening", Some(4), 0),
            steps("read the header", Some(4), 1),
            steps("reading the body", Some(4), 1),
            steps("read the body", Some(4), 3),
            steps("closed", Some(4), 4),
        ]
    );
    assert_eq!(
        messages.values(),
        [
            "",
            "opening",
            "read the header",
            "reading the body",
            "read the body",
            "closed"
        ]
    );
    assert_eq!(totals.values(), [None, Some(4)]);
    assert_eq!(completes.values(), [0, 1, 3, 4]);
    assert_eq!(
        fractions.values(),
        [None, Some(0.0), Some(0.25), Some(0.75), Some(1.0)]
    );
    assert_eq!(future.result(), Ok(&42));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// An observer of one view that reads the others sees the whole report it was notified of,
/// whichever view it observes.
#[test]
fn one_report_is_applied_at_once_before_any_observer_runs() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(Some(2), "first")?;
        reporter.step("second")?;
        reporter.step("third")?;
        Ok(())
    })
    .unwrap();
    let seen_from_message = Rc::new(RefCell::new(Vec::new()));
    let seen_from_complete = Rc::new(RefCell::new(Vec::new()));
    let _on_message = future.message().observe({
        let (seen, future) = (seen_from_message.clone(), future.clone());
        move |_, message| {
            let read = (
                message.clone(),
                future.total().get(),
                future.complete().get(),
            );
            seen.borrow_mut().push((read, future.fraction().get()));
        }
    });
    let _on_complete = future.complete().observe({
        let (seen, future) = (seen_from_complete.clone(), future.clone());
        move |_, complete| {
            seen.borrow_mut()
                .push((future.message().get(), future.total().get(), *complete))
        }
    });

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(
        *seen_from_message.borrow(),
        [
            (("first".to_string(), Some(2), 0), Some(0.0)),
            (("second".to_string(), Some(2), 1), Some(0.5)),
            (("third".to_string(), Some(2), 2), Some(1.0)),
        ]
    );
    assert_eq!(
        *seen_from_complete.borrow(),
        [
            ("second".to_string(), Some(2), 1),
            ("third".to_string(), Some(2), 2)
        ]
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_indeterminate_total_becomes_determinate_and_back() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(None, "counting files")?;
        reporter.set_total(Some(2))?;
        reporter.step("one")?;
        reporter.step("two")?;
        reporter.set_total(None)?;
        Ok(())
    })
    .unwrap();
    let totals = Recorder::derived(future.total());
    let fractions = Recorder::derived(future.fraction());
    let records = Recorder::derived(future.steps());

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(totals.values(), [None, Some(2), None]);
    assert_eq!(
        fractions.values(),
        [None, Some(0.0), Some(0.5), Some(1.0), None]
    );
    assert_eq!(records.values()[1], steps("counting files", None, 0));
    // Back to indeterminate: the message and the count stay.
    assert_eq!(future.steps().get(), steps("two", None, 2));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// Cancel-first: reports the task sent before the cancel but the event loop had not yet
/// dispatched are dropped too; the report after the cancel returns `Err` and sends nothing.
#[test]
fn after_cancel_a_report_returns_err_and_nothing_more_is_delivered() {
    let executor = TraitsExecutor::new();
    let (sent_tx, sent) = mpsc::channel::<()>();
    let (go, gate) = mpsc::channel::<()>();
    let (result_tx, after_cancel) = mpsc::channel::<Result<(), TaskCancelled>>();
    let future = submit_steps(&executor, move |reporter| {
        reporter.start(Some(3), "one")?;
        reporter.step("two")?;
        sent_tx.send(()).unwrap();
        gate.recv().unwrap();
        let result = reporter.step("three");
        result_tx.send(result).unwrap();
        result?;
        Ok("never reached")
    })
    .unwrap();
    let records = Recorder::derived(future.steps());
    let states = Recorder::observable(future.state());

    // Both reports are sent, none dispatched: the loop has not run.
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    assert!(future.cancel());
    let _ = go.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(
        after_cancel.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    assert_eq!(records.values(), [Steps::default()]);
    assert_eq!(
        states.values(),
        [
            FutureState::Waiting,
            FutureState::Cancelling,
            FutureState::Cancelled
        ]
    );
    assert!(future.result().is_err());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A task cancelled while it runs, between two reports: what arrived before the cancel stays.
#[test]
fn a_cancelled_future_keeps_the_steps_delivered_before_the_cancel() {
    let executor = TraitsExecutor::new();
    let (go, gate) = mpsc::channel::<()>();
    let future = submit_steps(&executor, move |reporter| {
        reporter.start(Some(3), "one")?;
        gate.recv().unwrap();
        reporter.step("two")?;
        Ok(())
    })
    .unwrap();

    executor
        .run_until(|| future.message().get() == "one", Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    go.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert_eq!(future.steps().get(), steps("one", Some(3), 0));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn bound_after_the_task_finished_the_observables_show_the_last_report() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(Some(2), "a")?;
        reporter.step("b")?;
        reporter.step("c")?;
        Ok(())
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    // Bound only now: an observer's recorder and a signal both start from the last report.
    let messages = Recorder::derived(future.message());
    assert_eq!(messages.values(), ["c"]);
    let mut fraction = future.fraction().signal().to_stream();
    assert_eq!(block_on(fraction.next()), Some(Some(1.0)));
    let mut record = future.steps().signal().to_stream();
    assert_eq!(block_on(record.next()), Some(steps("c", Some(2), 2)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[derive(Debug, PartialEq)]
enum ImportError {
    Cancelled,
    BadRow(u64),
}

impl From<TaskCancelled> for ImportError {
    fn from(_: TaskCancelled) -> Self {
        ImportError::Cancelled
    }
}

#[test]
fn a_failing_task_ends_failed_with_its_error_after_its_steps() {
    let executor = TraitsExecutor::new();
    let future = submit_try_steps(&executor, |reporter| {
        reporter.start(Some(5), "row 1")?;
        reporter.step("row 2")?;
        reporter.step("row 3")?;
        Err::<(), _>(ImportError::BadRow(3))
    })
    .unwrap();
    // What the future shows at the moment it becomes done.
    let at_done = Rc::new(RefCell::new(None));
    let _on_done = future.done().observe({
        let (at_done, future) = (at_done.clone(), future.clone());
        move |_, done| {
            if *done {
                *at_done.borrow_mut() = Some(future.steps().get());
            }
        }
    });
    let messages = Recorder::derived(future.message());

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), FutureState::Failed);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(ImportError::BadRow(3)))
    );
    assert_eq!(messages.values(), ["", "row 1", "row 2", "row 3"]);
    assert_eq!(*at_done.borrow(), Some(steps("row 3", Some(5), 2)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panicking_task_ends_failed_after_its_steps() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| -> Result<(), TaskCancelled> {
        reporter.start(Some(2), "spinning up")?;
        reporter.step("half way")?;
        panic!("the disk caught fire");
    })
    .unwrap();

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), FutureState::Failed);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Panicked("the disk caught fire".to_string()))
    );
    assert_eq!(future.steps().get(), steps("half way", Some(2), 1));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// The future keeps `complete` at most `total`; the reporter keeps its own count, which shows
/// once the total is raised.
#[test]
fn a_count_beyond_the_total_shows_the_total_until_the_total_is_raised() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(Some(2), "one")?;
        reporter.step("two")?;
        reporter.step("three")?;
        reporter.step("four")?;
        reporter.set_total(Some(10))?;
        Ok(())
    })
    .unwrap();
    let records = Recorder::derived(future.steps());
    let completes = Recorder::derived(future.complete());

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(
        records.values(),
        [
            Steps::default(),
            steps("one", Some(2), 0),
            steps("two", Some(2), 1),
            steps("three", Some(2), 2),
            steps("four", Some(2), 2),
            steps("four", Some(10), 3),
        ]
    );
    assert_eq!(completes.values(), [0, 1, 2, 3]);
    assert_eq!(future.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// `start` again begins a new phase: a new total, the count from zero.
#[test]
fn start_again_restarts_the_count_with_a_new_total() {
    let executor = TraitsExecutor::new();
    let future = submit_steps(&executor, |reporter| {
        reporter.start(Some(2), "downloading")?;
        reporter.step("downloaded a")?;
        reporter.step("downloaded b")?;
        reporter.start(Some(3), "installing")?;
        reporter.step("installed a")?;
        Ok(())
    })
    .unwrap();
    let completes = Recorder::derived(future.complete());
    let totals = Recorder::derived(future.total());

    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(completes.values(), [0, 1, 2, 0, 1]);
    assert_eq!(totals.values(), [None, Some(2), Some(3)]);
    assert_eq!(future.message().get(), "installed a");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
