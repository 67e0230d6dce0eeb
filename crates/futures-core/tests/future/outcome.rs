//! Behaviour section A, a12–a16: the cancel callback's release, futures without an executor,
//! results and errors, and state changes only on dispatch.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, CallFuture, FutureState, NotAvailable, ProgressFuture, TaskError, TaskMessage,
    TraitsExecutor,
};

use crate::common;
use common::machine::*;

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

// ---------------------------------------------------------------------------------------------
// a12

#[test]
fn a12_cancel_callback_released_when_done_on_every_complete_path() {
    for (path, _) in COMPLETE {
        let probe = probe();
        let letters: Vec<char> = path.chars().collect();
        for (i, letter) in letters.iter().enumerate() {
            assert_eq!(
                probe.released.get(),
                0,
                "{path}: released before letter {i}"
            );
            assert!(step(&probe.future, *letter, false), "{path}: letter {i}");
        }
        assert!(probe.future.done().get());
        assert_eq!(probe.released.get(), 1, "{path}: not released once done");
        // Still held by the future (a live handle), and released exactly once.
        let expected_calls = usize::from(path.contains('C'));
        assert_eq!(probe.cancel_calls.get(), expected_calls, "{path}");
        drop(probe.future);
        assert_eq!(probe.released.get(), 1, "{path}: released twice");
    }
}

#[test]
fn a12_cancel_callback_released_before_done_observers_run() {
    for (path, _) in COMPLETE {
        let probe = probe();
        let at_done = Rc::new(Cell::new(None));
        let _guard = probe.future.done().observe({
            let (released, at_done) = (probe.released.clone(), at_done.clone());
            move |_, done| {
                if *done {
                    at_done.set(Some(released.get()));
                }
            }
        });
        for letter in path.chars() {
            assert!(step(&probe.future, letter, false));
        }
        assert_eq!(at_done.get(), Some(1), "{path}");
    }
}

#[test]
fn a12_cancel_callback_kept_while_not_done() {
    for prefix in ["", "C", "S", "CS", "SC"] {
        let probe = run(prefix).unwrap();
        assert_eq!(probe.released.get(), 0, "{prefix:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// a13

#[test]
fn a13_call_future_driven_without_an_executor() {
    let probe = probe();
    let future = &probe.future;
    let states = Recorder::observable(future.state());
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(8)).unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
    assert_eq!(probe.cancel_calls.get(), 0);
}

#[test]
fn a13_cancel_of_a_detached_future_calls_its_callback_once() {
    let probe = probe();
    let future = &probe.future;
    assert!(future.cancel());
    assert_eq!(probe.cancel_calls.get(), 1);
    assert!(!future.cancel());
    assert_eq!(probe.cancel_calls.get(), 1);
    future.receive(TaskMessage::Abandoned).unwrap();
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn a13_iteration_future_driven_without_an_executor() {
    let future = iteration_run("S");
    let items = Recorder::event(future.items());
    for item in [3, 1, 4] {
        future.receive(TaskMessage::Custom(item)).unwrap();
    }
    future.receive(TaskMessage::Returned(42)).unwrap();
    assert_eq!(items.values(), [3, 1, 4]);
    assert_eq!(future.result(), Ok(&42));
}

#[test]
fn a13_progress_future_driven_without_an_executor() {
    let future: ProgressFuture<(u32, u32), &str> =
        ProgressFuture::detached(Default::default(), || {});
    let progress = Recorder::event(future.reports());
    let states = Recorder::observable(future.state());
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((0, 2))).unwrap();
    future.receive(TaskMessage::Custom((2, 2))).unwrap();
    future.receive(TaskMessage::Returned("done")).unwrap();
    assert_eq!(progress.values(), [(0, 2), (2, 2)]);
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&"done"));
}

// ---------------------------------------------------------------------------------------------
// a14

#[test]
fn a14_result_and_error_only_in_their_final_state_otherwise_not_available_names_the_state() {
    let cases = [
        ("", Waiting),
        ("S", Executing),
        ("C", Cancelling),
        ("SC", Cancelling),
        ("CA", Cancelled),
        ("SCR", Cancelled),
        ("SX", Failed),
    ];
    for (prefix, state) in cases {
        let future = run(prefix).unwrap().future;
        let no_result = future.result().unwrap_err();
        assert_eq!(no_result, NotAvailable::NoResult(state), "{prefix:?}");
        assert!(
            no_result.to_string().contains(&state.to_string()),
            "{prefix:?}: {no_result}"
        );
    }
    for (prefix, state) in [
        ("", Waiting),
        ("S", Executing),
        ("C", Cancelling),
        ("CSX", Cancelled),
        ("SR", Completed),
    ] {
        let future = run(prefix).unwrap().future;
        let no_error = future.error().unwrap_err();
        assert_eq!(no_error, NotAvailable::NoError(state), "{prefix:?}");
        assert!(
            no_error.to_string().contains(&state.to_string()),
            "{prefix:?}: {no_error}"
        );
    }
}

#[test]
fn a14_result_available_in_completed_error_available_in_failed() {
    let completed = run("SR").unwrap().future;
    assert_eq!(completed.result(), Ok(&8));
    let failed = run("SX").unwrap().future;
    assert_eq!(failed.error(), Ok(&TaskError::Error("boom".to_string())));
}

// ---------------------------------------------------------------------------------------------
// a15

/// A payload that counts its drops (`Send`, as task outputs must be).
struct Payload(Arc<AtomicUsize>);

impl Drop for Payload {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Payload")
    }
}

type PayloadFuture = CallFuture<Payload, Payload>;

/// A detached payload future fed `prefix`, made of `S` (Started) and `C` (a cancel).
fn started_and_cancelled(prefix: &str) -> PayloadFuture {
    let future: PayloadFuture = CallFuture::detached(Default::default(), || {});
    for letter in prefix.chars() {
        match letter {
            'C' => assert!(future.cancel()),
            _ => future.receive(TaskMessage::Started).unwrap(),
        }
    }
    future
}

#[test]
fn a15_cancelled_then_returns_no_result_and_value_dropped() {
    for prefix in ["SC", "CS"] {
        let future = started_and_cancelled(prefix);
        let drops = Arc::new(AtomicUsize::new(0));
        future
            .receive(TaskMessage::Returned(Payload(drops.clone())))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled, "{prefix}R");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "{prefix}R: the value was kept"
        );
        assert!(future.result().is_err(), "{prefix}R");
        assert!(future.error().is_err(), "{prefix}R");
    }
}

#[test]
fn a15_cancelled_then_fails_no_error_and_error_dropped() {
    for prefix in ["SC", "CS"] {
        let future = started_and_cancelled(prefix);
        let drops = Arc::new(AtomicUsize::new(0));
        future
            .receive(TaskMessage::Failed(TaskError::Error(Payload(
                drops.clone(),
            ))))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled, "{prefix}X");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "{prefix}X: the error was kept"
        );
        assert!(future.result().is_err(), "{prefix}X");
        assert!(future.error().is_err(), "{prefix}X");
    }
}

#[test]
fn a15_no_result_or_error_ever_appears_after_cancelled() {
    for path in ["SCR", "SCX", "CSR", "CSX"] {
        let future = run(path).unwrap().future;
        // Later messages (violations) do not bring a result or an error either.
        let _ = future.receive(TaskMessage::Returned(9));
        let _ = future.receive(TaskMessage::Failed(TaskError::Error("late".into())));
        assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
        assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    }
}

// ---------------------------------------------------------------------------------------------
// a16

/// Submits `f` on a one-worker executor, then a marker task; returns once the marker runs, at
/// which point the worker has finished `f`'s whole job (S, the closure, R are all queued).
fn submit_and_let_it_finish<T: Send + 'static>(
    executor: &TraitsExecutor,
    f: impl FnOnce() -> T + Send + 'static,
) -> (CallFuture<T>, CallFuture<()>) {
    let future = submit_call(executor, f).unwrap();
    let (tx, rx) = mpsc::channel();
    let marker = submit_call(executor, move || tx.send(()).unwrap()).unwrap();
    rx.recv_timeout(TEST_TIMEOUT)
        .expect("the marker task did not run");
    (future, marker)
}

#[test]
fn a16_future_stays_waiting_after_the_task_ran_until_dispatched() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (ran_tx, ran_rx) = mpsc::channel();
    let (future, marker) = submit_and_let_it_finish(&executor, move || {
        ran_tx.send(()).unwrap();
        2u32.pow(3)
    });
    ran_rx.try_recv().expect("the task has run");
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(!future.done().get());
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Waiting)));
    assert_eq!(marker.state().get(), Waiting);

    let states = Recorder::observable(future.state());
    executor
        .run_until(
            || future.done().get() && marker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a16_dispatch_pending_is_what_changes_the_state() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (future, marker) = submit_and_let_it_finish(&executor, || 5u8);
    let states = Recorder::observable(future.state());
    assert_eq!(states.values(), [Waiting]);
    // Everything of the first task is already queued: one drain delivers S and R.
    assert!(executor.dispatch_pending() >= 2);
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    executor
        .run_until(|| marker.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a16_stop_changes_the_state_of_a_future_whose_task_already_ran() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (future, marker) = submit_and_let_it_finish(&executor, || 5u8);
    assert_eq!(future.state().get(), Waiting);
    let states = Recorder::observable(future.state());
    executor.stop().unwrap();
    assert_eq!(future.state().get(), Cancelling);
    assert_eq!(marker.state().get(), Cancelling);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(marker.state().get(), Cancelled);
}
