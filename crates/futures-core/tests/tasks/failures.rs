//! Failures: behaviour.md section G (g100–g102).
//!
//! What happens to a panic in an observer (g101): the message that triggered it has already
//! been applied (the future is in its new state, with its result), every other observer of the
//! same notification still ran, the router's bookkeeping is complete, and the panic then resumes
//! out of the dispatching call (`run_until`, `dispatch_pending`, `shutdown`) on the main thread.
//! The executor and every other future keep working.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_iteration, submit_try_call, submit_try_generator, submit_try_progress,
    ExecutorState, FutureState, NotAvailable, TaskCancelled, TaskError, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

/// The text of a caught panic payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<non-string payload>".to_string()
    }
}

#[test]
fn g100_task_panic_fails_the_future_and_the_worker_thread_survives() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (thread_tx, thread_rx) = mpsc::channel();
    let failing = submit_call(&executor, move || -> u32 {
        thread_tx.send(thread::current().id()).unwrap();
        panic!("worker task exploded");
    })
    .unwrap();
    let states = Recorder::observable(failing.state());
    executor
        .run_until(|| failing.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    let error = failing.error().unwrap();
    assert_eq!(error, &TaskError::Panicked("worker task exploded".into()));
    assert_eq!(error.panic_message(), Some("worker task exploded"));
    assert_eq!(failing.result(), Err(NotAvailable::NoResult(Failed)));
    let panicked_on = thread_rx.recv_timeout(TEST_TIMEOUT).unwrap();

    // The single worker is still there: later tasks run, on the same thread.
    let later = submit_call(&executor, || thread::current().id()).unwrap();
    let iteration = submit_iteration(&executor, || 0..3).unwrap();
    let items = Recorder::event(iteration.items());
    executor
        .run_until(
            || later.done().get() && iteration.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(later.result(), Ok(&panicked_on));
    assert_eq!(items.values(), [0, 1, 2]);
    assert_eq!(iteration.state().get(), Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn g100_formatted_panic_message_is_kept() {
    let executor = TraitsExecutor::new();
    let future = submit_call(&executor, || -> u32 {
        let row = 7;
        panic!("bad value in row {row}");
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Failed);
    assert_eq!(
        future.error().unwrap().panic_message(),
        Some("bad value in row 7")
    );
    assert_eq!(
        future.error().unwrap().to_string(),
        "the task panicked: bad value in row 7"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn g101_panicking_item_observer_loses_no_messages_of_any_future() {
    let executor = TraitsExecutor::new();
    let a = submit_iteration(&executor, || 0..5u32).unwrap();
    let b = submit_iteration(&executor, || 0..200u32).unwrap();
    // Registered first: panics on item 1 of `a`.
    let _bomb = a.items().observe(|item| {
        if *item == 1 {
            panic!("observer exploded on item 1");
        }
    });
    // Registered after the panicking observer.
    let a_items = Recorder::event(a.items());
    let b_items = Recorder::event(b.items());
    let a_states = Recorder::observable(a.state());

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        executor.run_until(|| a.done().get() && b.done().get(), Some(TEST_TIMEOUT))
    }));
    let payload = outcome.expect_err("the observer's panic should resume out of run_until");
    assert_eq!(payload_text(&*payload), "observer exploded on item 1");

    // The item was applied: the other observer of the same event got it, and the future is
    // still Executing (the panic changed no state).
    assert_eq!(a_items.values(), [0, 1]);
    assert_eq!(a.state().get(), Executing);
    assert_eq!(a_states.values(), [Waiting, Executing]);

    // The event loop carries on: nothing of either future is lost, nothing is duplicated.
    executor
        .run_until(|| a.done().get() && b.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(a_items.values(), [0, 1, 2, 3, 4]);
    assert_eq!(a_states.values(), [Waiting, Executing, Completed]);
    assert_eq!(b_items.values(), (0..200).collect::<Vec<_>>());
    assert_eq!(b.state().get(), Completed);
    assert_eq!(executor.running_tasks(), 0);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

#[test]
fn g101_panic_in_a_final_state_observer_leaves_the_future_done_with_its_result() {
    let executor = TraitsExecutor::new();
    let future = submit_call(&executor, || 2u32.pow(3)).unwrap();
    let _bomb = future.state().observe(|_, new| {
        if *new == Completed {
            panic!("observer exploded on Completed");
        }
    });
    let done_seen = Rc::new(Cell::new(false));
    let _done_guard = future.done().observe({
        let done_seen = Rc::clone(&done_seen);
        move |_, done| done_seen.set(*done)
    });

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))
    }));
    let payload = outcome.expect_err("the observer's panic should resume out of run_until");
    assert_eq!(payload_text(&*payload), "observer exploded on Completed");

    // The future holds its final state and result; `done` observers still ran.
    assert_eq!(future.state().get(), Completed);
    assert!(future.done().get());
    assert!(!future.cancellable().get());
    assert!(done_seen.get());
    assert_eq!(future.result(), Ok(&8));
    // The router removed the finished future.
    assert_eq!(executor.running_tasks(), 0);

    // The executor still runs other futures.
    let other = submit_call(&executor, || "still working").unwrap();
    executor
        .run_until(|| other.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(other.result(), Ok(&"still working"));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

#[test]
fn g101_panic_in_an_observer_during_shutdown_still_leaves_the_executor_stopped() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || gate_rx.recv().is_ok()).unwrap();
    let _bomb = future.state().observe(|_, new| {
        if *new == Cancelled {
            panic!("observer exploded on Cancelled");
        }
    });
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    executor.stop().unwrap();
    assert_eq!(future.state().get(), Cancelling);
    gate_tx.send(()).unwrap();

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.shutdown(Some(TEST_TIMEOUT))));
    let payload = outcome.expect_err("the observer's panic should resume out of shutdown");
    assert_eq!(payload_text(&*payload), "observer exploded on Cancelled");

    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(executor.running_tasks(), 0);
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    // Shutting down again is a harmless no-op.
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

/// A task's own error type: deliberately neither `Display` nor `std::error::Error`, so that it
/// can only reach the main thread as itself, never as a string.
#[derive(Debug, PartialEq)]
enum ImportError {
    MissingColumn { name: String, line: usize },
    Cancelled,
}

impl From<TaskCancelled> for ImportError {
    fn from(_: TaskCancelled) -> Self {
        ImportError::Cancelled
    }
}

#[test]
fn g102_fallible_call_error_arrives_as_the_tasks_own_type() {
    let executor = TraitsExecutor::new();
    let future = submit_try_call(&executor, || -> Result<u32, ImportError> {
        Err(ImportError::MissingColumn {
            name: "price".into(),
            line: 12,
        })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    let error: &TaskError<ImportError> = future.error().unwrap();
    match error {
        TaskError::Error(ImportError::MissingColumn { name, line }) => {
            assert_eq!(name, "price");
            assert_eq!(*line, 12);
        }
        other => panic!("expected the task's own error, got {other:?}"),
    }
    assert_eq!(
        error.as_error(),
        Some(&ImportError::MissingColumn {
            name: "price".into(),
            line: 12
        })
    );
    assert_eq!(error.panic_message(), None);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn g102_progress_and_generator_errors_arrive_as_the_tasks_own_type() {
    let executor = TraitsExecutor::new();
    let progress = submit_try_progress(&executor, |reporter| -> Result<(), ImportError> {
        reporter.report(11usize)?;
        Err(ImportError::MissingColumn {
            name: "qty".into(),
            line: 11,
        })
    })
    .unwrap();
    let generator = submit_try_generator(&executor, |rows| -> Result<usize, ImportError> {
        rows.send("header")?;
        Err(ImportError::MissingColumn {
            name: "id".into(),
            line: 1,
        })
    })
    .unwrap();
    let reports = Recorder::event(progress.reports());
    let rows = Recorder::event(generator.items());
    executor
        .run_until(
            || progress.done().get() && generator.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert_eq!(reports.values(), [11]);
    assert_eq!(
        progress.error(),
        Ok(&TaskError::Error(ImportError::MissingColumn {
            name: "qty".into(),
            line: 11
        }))
    );
    assert_eq!(rows.values(), ["header"]);
    assert_eq!(
        generator.error().map(TaskError::as_error),
        Ok(Some(&ImportError::MissingColumn {
            name: "id".into(),
            line: 1
        }))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn g101_panic_in_a_cancelling_observer_during_stop_still_cancels_every_future() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let first = submit_call(&executor, move || gate_rx.recv().is_ok()).unwrap();
    let (gate2_tx, gate2_rx) = mpsc::channel::<()>();
    let second = submit_call(&executor, move || gate2_rx.recv().is_ok()).unwrap();
    // Both futures have an observer that panics on Cancelling, so the outcome does not depend
    // on the order in which `stop` cancels them.
    let _bombs = [&first, &second].map(|future| {
        future.state().observe(|_, new| {
            if *new == Cancelling {
                panic!("observer exploded on Cancelling");
            }
        })
    });
    let first_states = Recorder::observable(first.state());
    let second_states = Recorder::observable(second.state());
    executor
        .run_until(
            || first.state().get() == Executing && second.state().get() == Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.stop()));
    let payload = outcome.expect_err("the observer's panic should resume out of stop");
    assert_eq!(payload_text(&*payload), "observer exploded on Cancelling");
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    // Stopping cancels every future, even when an observer of one of them panics.
    assert_eq!(first.state().get(), Cancelling);
    assert_eq!(second.state().get(), Cancelling);

    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    gate2_tx.send(()).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(
        first_states.values(),
        [Waiting, Executing, Cancelling, Cancelled]
    );
    assert_eq!(
        second_states.values(),
        [Waiting, Executing, Cancelling, Cancelled]
    );
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

#[test]
fn g101_panic_in_an_executor_state_observer_during_stop_still_cancels_every_future() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || gate_rx.recv().is_ok()).unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    let _bomb = executor.state().observe(|_, new| {
        if *new == ExecutorState::Stopping {
            panic!("observer exploded on Stopping");
        }
    });

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.stop()));
    let payload = outcome.expect_err("the observer's panic should resume out of stop");
    assert_eq!(payload_text(&*payload), "observer exploded on Stopping");
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    assert_eq!(future.state().get(), Cancelling);

    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}
