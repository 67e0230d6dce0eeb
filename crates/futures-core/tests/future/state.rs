//! Behaviour section A, a01–a06: a future's state, `cancellable` and `done`, and how they
//! notify, driven through real futures.
//!
//! Most tests build futures with `TaskFuture::detached` and feed them messages with `receive`,
//! exactly as the event loop does; a few drive futures through a real executor. The pure
//! transition function has its own unit tests in `src/machine.rs`. The protocol (a07–a11) is in
//! `protocol.rs`, results, errors and the cancel callback (a12–a16) in
//! `outcome.rs`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use traits_core::ObserverGuard;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, FutureState, IterationFuture, NotAvailable, ProgressFuture, TaskError,
    TraitsExecutor,
};

use crate::common;
use common::machine::*;

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

// ---------------------------------------------------------------------------------------------
// a01

#[test]
fn a01_new_detached_call_future_is_waiting_cancellable_not_done() {
    let future = probe().future;
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(!future.done().get());
}

#[test]
fn a01_new_iteration_and_progress_futures_are_waiting_cancellable_not_done() {
    let iteration: IterationFuture<u8> = IterationFuture::detached(Default::default(), || {});
    assert_eq!(iteration.state().get(), Waiting);
    assert!(iteration.cancellable().get());
    assert!(!iteration.done().get());

    let progress: ProgressFuture<(u32, u32), u32> =
        ProgressFuture::detached(Default::default(), || {});
    assert_eq!(progress.state().get(), Waiting);
    assert!(progress.cancellable().get());
    assert!(!progress.done().get());
}

#[test]
fn a01_new_submitted_future_is_waiting_cancellable_not_done() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 1).unwrap();
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(!future.done().get());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// a02

#[derive(Clone, Copy, Debug, PartialEq)]
enum Note {
    State(FutureState),
    Cancellable(bool),
    Done(bool),
}

/// Which observer to register first, to check that the order of notifications does not depend
/// on registration order.
#[derive(Clone, Copy, Debug)]
enum Registration {
    StateCancellableDone,
    DoneCancellableState,
}

struct NotificationLog {
    notes: Rc<RefCell<Vec<Note>>>,
    /// Disagreements seen from inside an observer (empty when a02 holds).
    disagreements: Rc<RefCell<Vec<String>>>,
    _guards: Vec<ObserverGuard>,
}

/// Checks, from inside an observer, that state, cancellable and done agree.
fn check_agreement(future: &Fut, observer: &str, disagreements: &RefCell<Vec<String>>) {
    let state = future.state().get();
    let cancellable = future.cancellable().get();
    let done = future.done().get();
    if cancellable != state.is_cancellable() || done != state.is_done() {
        disagreements.borrow_mut().push(format!(
            "in the {observer} observer: state {state}, cancellable {cancellable}, done {done}"
        ));
    }
}

fn notification_log(future: &Fut, registration: Registration) -> NotificationLog {
    let notes = Rc::new(RefCell::new(Vec::new()));
    let disagreements = Rc::new(RefCell::new(Vec::new()));
    let observe_state = || {
        let (future2, notes, disagreements) =
            (future.clone(), notes.clone(), disagreements.clone());
        future.state().observe(move |_, new| {
            notes.borrow_mut().push(Note::State(*new));
            if future2.state().get() != *new {
                disagreements
                    .borrow_mut()
                    .push(format!("state observer got {new} but state is not it"));
            }
            check_agreement(&future2, "state", &disagreements);
        })
    };
    let observe_cancellable = || {
        let (future2, notes, disagreements) =
            (future.clone(), notes.clone(), disagreements.clone());
        future.cancellable().observe(move |old, new| {
            notes.borrow_mut().push(Note::Cancellable(*new));
            if old == new || future2.state().get().is_cancellable() != *new {
                disagreements.borrow_mut().push(format!(
                    "cancellable observer got {old} -> {new} with state {}",
                    future2.state().get()
                ));
            }
            check_agreement(&future2, "cancellable", &disagreements);
        })
    };
    let observe_done = || {
        let (future2, notes, disagreements) =
            (future.clone(), notes.clone(), disagreements.clone());
        future.done().observe(move |old, new| {
            notes.borrow_mut().push(Note::Done(*new));
            if old == new || future2.state().get().is_done() != *new {
                disagreements.borrow_mut().push(format!(
                    "done observer got {old} -> {new} with state {}",
                    future2.state().get()
                ));
            }
            check_agreement(&future2, "done", &disagreements);
        })
    };
    let guards = match registration {
        Registration::StateCancellableDone => {
            vec![observe_state(), observe_cancellable(), observe_done()]
        }
        Registration::DoneCancellableState => {
            vec![observe_done(), observe_cancellable(), observe_state()]
        }
    };
    NotificationLog {
        notes,
        disagreements,
        _guards: guards,
    }
}

/// The notes one transition must produce, in order: state, then cancellable and done if they
/// changed.
fn expected_notes(before: FutureState, after: FutureState) -> Vec<Note> {
    let mut notes = Vec::new();
    if before != after {
        notes.push(Note::State(after));
    }
    if before.is_cancellable() != after.is_cancellable() {
        notes.push(Note::Cancellable(after.is_cancellable()));
    }
    if before.is_done() != after.is_done() {
        notes.push(Note::Done(after.is_done()));
    }
    notes
}

fn check_notifications_on_every_complete_path(registration: Registration) {
    for (path, _) in COMPLETE {
        let future = probe().future;
        let log = notification_log(&future, registration);
        for (i, letter) in path.chars().enumerate() {
            let before = future.state().get();
            log.notes.borrow_mut().clear();
            assert!(step(&future, letter, false), "{path}: letter {i} rejected");
            let after = future.state().get();
            assert_eq!(
                *log.notes.borrow(),
                expected_notes(before, after),
                "{path}: notifications of letter {i} ({letter}: {before} -> {after}) with {registration:?}"
            );
        }
        assert!(
            log.disagreements.borrow().is_empty(),
            "{path}: {:?}",
            log.disagreements.borrow()
        );
    }
}

#[test]
fn a02_observers_see_agreeing_values_in_order_state_cancellable_done() {
    check_notifications_on_every_complete_path(Registration::StateCancellableDone);
}

#[test]
fn a02_notification_order_does_not_depend_on_registration_order() {
    check_notifications_on_every_complete_path(Registration::DoneCancellableState);
}

#[test]
fn a02_notification_order_after_done_was_read_first() {
    let future = probe().future;
    // What `run_until(|| future.done().get(), ..)` does before anyone looks at cancellable.
    assert!(!future.done().get());
    let log = notification_log(&future, Registration::StateCancellableDone);
    assert!(step(&future, 'S', false));
    log.notes.borrow_mut().clear();
    assert!(step(&future, 'R', false));
    assert_eq!(
        *log.notes.borrow(),
        [
            Note::State(Completed),
            Note::Cancellable(false),
            Note::Done(true)
        ]
    );
}

#[test]
fn a02_observers_of_a_submitted_future_see_agreeing_values_in_order() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future: Fut = traits_futures::submit_try_call(&executor, || Ok(8)).unwrap();
    let log = notification_log(&future, Registration::StateCancellableDone);
    executor
        .run_until(|| future.state().get() == Completed, Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        *log.notes.borrow(),
        [
            Note::State(Executing),
            Note::State(Completed),
            Note::Cancellable(false),
            Note::Done(true),
        ]
    );
    assert!(
        log.disagreements.borrow().is_empty(),
        "{:?}",
        log.disagreements.borrow()
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a02_result_and_error_are_set_before_state_observers_run() {
    for (path, final_state) in [("SR", Completed), ("SX", Failed)] {
        let future = probe().future;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let _guard = future.state().observe({
            let (future, seen) = (future.clone(), seen.clone());
            move |_, new| {
                if new.is_done() {
                    seen.borrow_mut()
                        .push((future.result().copied(), future.error().cloned()));
                }
            }
        });
        for letter in path.chars() {
            assert!(step(&future, letter, false));
        }
        let expected = match final_state {
            Completed => (Ok(8), Err(NotAvailable::NoError(Completed))),
            _ => (
                Err(NotAvailable::NoResult(Failed)),
                Ok(TaskError::Error("boom".to_string())),
            ),
        };
        assert_eq!(*seen.borrow(), [expected], "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// a03–a06

#[test]
fn a03_path_sr_cancellable_and_done_change_exactly_once() {
    let future = probe().future;
    let flips = flips(&future);
    assert!(step(&future, 'S', false));
    assert_eq!(flips.cancellable.values(), [true]);
    assert_eq!(flips.done.values(), [false]);
    assert!(step(&future, 'R', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false, true]);
    assert_eq!(flips.states.values(), [Waiting, Executing, Completed]);
}

#[test]
fn a03_path_sr_through_an_executor() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 2u32.pow(3)).unwrap();
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false, true]);
}

#[test]
fn a04_path_sx_cancellable_and_done_change_exactly_once() {
    let future = probe().future;
    let flips = flips(&future);
    assert!(step(&future, 'S', false));
    assert_eq!(flips.cancellable.values(), [true]);
    assert_eq!(flips.done.values(), [false]);
    assert!(step(&future, 'X', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false, true]);
    assert_eq!(flips.states.values(), [Waiting, Executing, Failed]);
}

#[test]
fn a04_path_sx_through_an_executor() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || -> u32 { panic!("a04 task panics") }).unwrap();
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Failed);
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a05_path_scr_cancellable_flips_at_c_and_done_at_r() {
    let future = probe().future;
    let flips = flips(&future);
    assert!(step(&future, 'S', false));
    assert_eq!(flips.cancellable.values(), [true]);
    assert_eq!(flips.done.values(), [false]);
    assert!(step(&future, 'C', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false]);
    assert!(step(&future, 'R', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false, true]);
    assert_eq!(
        flips.states.values(),
        [Waiting, Executing, Cancelling, Cancelled]
    );
}

#[test]
fn a05_path_scx_cancellable_flips_at_c_and_done_at_x() {
    let future = probe().future;
    let flips = flips(&future);
    assert!(step(&future, 'S', false));
    assert!(step(&future, 'C', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false]);
    assert!(step(&future, 'X', false));
    assert_eq!(flips.cancellable.values(), [true, false]);
    assert_eq!(flips.done.values(), [false, true]);
}

#[test]
fn a05_path_scr_through_an_executor() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || {
        started_tx.send(()).unwrap();
        go_rx.recv_timeout(TEST_TIMEOUT).is_ok()
    })
    .unwrap();
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    started_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(cancellable.values(), [true]);
    assert!(future.cancel());
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false]);
    go_tx.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a06_path_csr_cancellable_flips_at_c_and_s_changes_nothing_public() {
    for path in ["CSR", "CSX"] {
        let future = probe().future;
        let flips = flips(&future);
        assert!(step(&future, 'C', false));
        assert_eq!(flips.cancellable.values(), [true, false]);
        assert_eq!(flips.done.values(), [false]);
        assert_eq!(flips.states.values(), [Waiting, Cancelling]);
        assert!(step(&future, 'S', false));
        // S while Cancelling: no notification at all.
        assert_eq!(flips.cancellable.values(), [true, false]);
        assert_eq!(flips.done.values(), [false]);
        assert_eq!(flips.states.values(), [Waiting, Cancelling]);
        assert_eq!(future.state().get(), Cancelling);
        assert!(step(&future, path.chars().nth(2).unwrap(), false));
        assert_eq!(flips.cancellable.values(), [true, false], "{path}");
        assert_eq!(flips.done.values(), [false, true], "{path}");
        assert_eq!(
            flips.states.values(),
            [Waiting, Cancelling, Cancelled],
            "{path}"
        );
    }
}

#[test]
fn a06_path_csr_through_an_executor() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || {
        // `Started` is queued before the closure runs.
        started_tx.send(()).unwrap();
        go_rx.recv_timeout(TEST_TIMEOUT).is_ok()
    })
    .unwrap();
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    let states = Recorder::observable(future.state());
    started_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    // C before S is dispatched.
    assert!(future.cancel());
    assert_eq!(cancellable.values(), [true, false]);
    go_tx.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
