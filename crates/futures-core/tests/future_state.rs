//! Behaviour section A: the future state machine, driven through real futures.
//!
//! Most tests build futures with `TaskFuture::detached` and feed them messages with `receive`,
//! exactly as the event loop does; a few drive futures through a real executor. The pure
//! transition function has its own unit tests in `src/machine.rs`; these tests check the
//! public surface: state, `cancellable`, `done`, notifications, results, errors and the cancel
//! callback.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_core::ObserverGuard;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, CallFuture, FutureState, Input, IterationFuture, NotAvailable, ProgressFuture,
    ProtocolViolation, TaskError, TaskMessage, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

/// The future type most tests drive: a call returning `u32` that can fail with a `String`.
type Fut = CallFuture<u32, String>;

/// a07: the complete valid sequences, with the final state each one reaches.
const COMPLETE: [(&str, FutureState); 7] = [
    ("SR", Completed),
    ("SX", Failed),
    ("CSR", Cancelled),
    ("CSX", Cancelled),
    ("SCR", Cancelled),
    ("SCX", Cancelled),
    ("CA", Cancelled),
];

/// a08: the valid prefixes.
const VALID_PREFIXES: [&str; 12] = [
    "", "C", "S", "CA", "CS", "SC", "SR", "SX", "CSR", "CSX", "SCR", "SCX",
];

const LETTERS: [char; 5] = ['C', 'S', 'R', 'X', 'A'];

/// Counts how often it is dropped.
struct DropCounter(Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A detached future whose cancel callback counts its calls and its own drop.
struct Probe {
    future: Fut,
    /// How often the cancel callback was called.
    cancel_calls: Rc<Cell<usize>>,
    /// How often the cancel callback was dropped (released).
    released: Rc<Cell<usize>>,
}

fn probe() -> Probe {
    let cancel_calls = Rc::new(Cell::new(0));
    let released = Rc::new(Cell::new(0));
    let guard = DropCounter(Rc::clone(&released));
    let calls = Rc::clone(&cancel_calls);
    let future = Fut::detached(Default::default(), move || {
        let _held = &guard;
        calls.set(calls.get() + 1);
    });
    Probe {
        future,
        cancel_calls,
        released,
    }
}

/// The state-machine input a letter stands for.
fn input_of(letter: char) -> Input {
    match letter {
        'C' => Input::Cancel,
        'S' => Input::Started,
        'R' => Input::Returned,
        'X' => Input::Failed,
        'A' => Input::Abandoned,
        other => panic!("unknown letter {other}"),
    }
}

/// The message a letter stands for; `late` picks payloads distinct from the first ones, so a
/// test can tell whether a rejected message overwrote anything.
fn message_of(letter: char, late: bool) -> TaskMessage<std::convert::Infallible, u32, String> {
    match letter {
        'S' => TaskMessage::Started,
        'R' => TaskMessage::Returned(if late { 9 } else { 8 }),
        'X' => TaskMessage::Failed(TaskError::Error(
            if late { "late" } else { "boom" }.to_string(),
        )),
        'A' => TaskMessage::Abandoned,
        other => panic!("no message for {other}"),
    }
}

/// Applies one letter: `C` is the user's `cancel()`, the others are messages. Returns whether
/// the future accepted it.
fn step(future: &Fut, letter: char, late: bool) -> bool {
    match letter {
        'C' => future.cancel(),
        other => future.receive(message_of(other, late)).is_ok(),
    }
}

/// Drives a fresh probe through `sequence`; `None` if any letter was rejected.
fn run(sequence: &str) -> Option<Probe> {
    let probe = probe();
    for letter in sequence.chars() {
        if !step(&probe.future, letter, false) {
            return None;
        }
    }
    Some(probe)
}

/// Every sequence over the five letters with at most `max_len` letters (including "").
fn all_sequences(max_len: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..max_len {
        let mut next = Vec::new();
        for prefix in &frontier {
            for letter in LETTERS {
                next.push(format!("{prefix}{letter}"));
            }
        }
        all.extend(next.iter().cloned());
        frontier = next;
    }
    all
}

/// Everything observable about a future's public surface.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    state: FutureState,
    cancellable: bool,
    done: bool,
    result: Result<u32, NotAvailable>,
    error: Result<TaskError<String>, NotAvailable>,
}

fn snapshot(future: &Fut) -> Snapshot {
    Snapshot {
        state: future.state().get(),
        cancellable: future.cancellable().get(),
        done: future.done().get(),
        result: future.result().copied(),
        error: future.error().cloned(),
    }
}

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

struct Flips {
    cancellable: Recorder<bool>,
    done: Recorder<bool>,
    states: Recorder<FutureState>,
}

fn flips(future: &Fut) -> Flips {
    Flips {
        cancellable: Recorder::derived(future.cancellable()),
        done: Recorder::derived(future.done()),
        states: Recorder::observable(future.state()),
    }
}

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

// ---------------------------------------------------------------------------------------------
// a07–a11, driving real futures

#[test]
fn a07_complete_sequences_are_exactly_the_seven_and_end_done() {
    let mut complete = BTreeSet::new();
    for sequence in all_sequences(4) {
        if let Some(probe) = run(&sequence) {
            if probe.future.done().get() {
                complete.insert(sequence);
            }
        }
    }
    let expected: BTreeSet<String> = COMPLETE.iter().map(|(s, _)| s.to_string()).collect();
    assert_eq!(complete, expected);
}

#[test]
fn a07_each_complete_sequence_reaches_its_final_state_only_at_its_last_letter() {
    for (path, final_state) in COMPLETE {
        let future = probe().future;
        let letters: Vec<char> = path.chars().collect();
        for (i, letter) in letters.iter().enumerate() {
            assert!(!future.done().get(), "{path}: done before letter {i}");
            assert!(step(&future, *letter, false), "{path}: letter {i} rejected");
        }
        assert!(future.done().get(), "{path}");
        assert!(!future.cancellable().get(), "{path}");
        assert_eq!(future.state().get(), final_state, "{path}");
    }
}

#[test]
fn a08_valid_prefixes_are_exactly_the_twelve() {
    let valid: BTreeSet<String> = all_sequences(4)
        .into_iter()
        .filter(|sequence| run(sequence).is_some())
        .collect();
    let expected: BTreeSet<String> = VALID_PREFIXES.iter().map(|s| s.to_string()).collect();
    assert_eq!(valid, expected);
}

#[test]
fn a08_valid_prefixes_reach_the_expected_public_state() {
    let expected = [
        ("", Waiting),
        ("C", Cancelling),
        ("S", Executing),
        ("CA", Cancelled),
        ("CS", Cancelling),
        ("SC", Cancelling),
        ("SR", Completed),
        ("SX", Failed),
        ("CSR", Cancelled),
        ("CSX", Cancelled),
        ("SCR", Cancelled),
        ("SCX", Cancelled),
    ];
    for (prefix, state) in expected {
        let probe = run(prefix).unwrap_or_else(|| panic!("{prefix:?} rejected"));
        assert_eq!(probe.future.state().get(), state, "{prefix:?}");
    }
}

#[test]
fn a09_every_invalid_one_message_extension_is_rejected_and_changes_nothing() {
    let mut violations = 0;
    for prefix in VALID_PREFIXES {
        for letter in LETTERS {
            let extension = format!("{prefix}{letter}");
            if VALID_PREFIXES.contains(&extension.as_str()) {
                continue;
            }
            violations += 1;
            let probe = run(prefix).unwrap();
            let future = &probe.future;
            let before = snapshot(future);
            let cancel_calls = probe.cancel_calls.get();
            let released = probe.released.get();
            let flips = flips(future);
            if letter == 'C' {
                assert!(!future.cancel(), "{extension}: cancel() must return false");
            } else {
                assert_eq!(
                    future.receive(message_of(letter, true)),
                    Err(ProtocolViolation {
                        state: before.state,
                        input: input_of(letter),
                    }),
                    "{extension}"
                );
            }
            assert_eq!(snapshot(future), before, "{extension}: the future changed");
            assert_eq!(flips.states.values(), [before.state], "{extension}");
            assert_eq!(
                flips.cancellable.values(),
                [before.cancellable],
                "{extension}"
            );
            assert_eq!(flips.done.values(), [before.done], "{extension}");
            assert_eq!(probe.cancel_calls.get(), cancel_calls, "{extension}");
            assert_eq!(probe.released.get(), released, "{extension}");
            // The future still accepts what it accepted before the violation.
            for next in LETTERS {
                let valid_next = VALID_PREFIXES.contains(&format!("{prefix}{next}").as_str());
                let fresh = run(prefix).unwrap();
                // apply the violation to a fresh copy, then the next letter
                let _ = step(&fresh.future, letter, true);
                assert_eq!(
                    step(&fresh.future, next, false),
                    valid_next,
                    "{extension} then {next}"
                );
            }
        }
    }
    assert_eq!(violations, 49);
}

#[test]
fn a09_a_violation_on_a_finished_future_keeps_its_result_and_error() {
    let completed = run("SR").unwrap().future;
    assert!(completed.receive(TaskMessage::Started).is_err());
    assert!(completed.receive(TaskMessage::Returned(9)).is_err());
    assert!(completed
        .receive(TaskMessage::Failed(TaskError::Panicked("late".into())))
        .is_err());
    assert!(completed.receive(TaskMessage::Abandoned).is_err());
    assert!(!completed.cancel());
    assert_eq!(completed.state().get(), Completed);
    assert_eq!(completed.result(), Ok(&8));

    let failed = run("SX").unwrap().future;
    assert!(failed.receive(TaskMessage::Returned(9)).is_err());
    assert!(failed
        .receive(TaskMessage::Failed(TaskError::Error("late".into())))
        .is_err());
    assert_eq!(failed.state().get(), Failed);
    assert_eq!(failed.error(), Ok(&TaskError::Error("boom".to_string())));
    assert_eq!(failed.result(), Err(NotAvailable::NoResult(Failed)));
}

#[test]
fn a10_r_x_or_a_before_s_is_a_violation() {
    for letter in ['R', 'X', 'A'] {
        let future = probe().future;
        assert_eq!(
            future.receive(message_of(letter, false)),
            Err(ProtocolViolation {
                state: Waiting,
                input: input_of(letter)
            }),
            "{letter} while Waiting"
        );
        assert_eq!(future.state().get(), Waiting);
    }
    // After a cancel, before S: only A (or S) may come; R and X are still "before S".
    for letter in ['R', 'X'] {
        let future = run("C").unwrap().future;
        assert_eq!(
            future.receive(message_of(letter, false)),
            Err(ProtocolViolation {
                state: Cancelling,
                input: input_of(letter)
            }),
            "C then {letter}"
        );
        assert_eq!(future.state().get(), Cancelling);
    }
}

#[test]
fn a10_a_second_s_is_a_violation() {
    for prefix in ["S", "CS", "SC"] {
        let future = run(prefix).unwrap().future;
        let state = future.state().get();
        assert_eq!(
            future.receive(TaskMessage::Started),
            Err(ProtocolViolation {
                state,
                input: Input::Started
            }),
            "{prefix}S"
        );
        assert_eq!(future.state().get(), state);
    }
}

#[test]
fn a10_a_after_s_is_a_violation() {
    for prefix in ["S", "CS", "SC"] {
        let future = run(prefix).unwrap().future;
        let state = future.state().get();
        assert_eq!(
            future.receive(TaskMessage::Abandoned),
            Err(ProtocolViolation {
                state,
                input: Input::Abandoned
            }),
            "{prefix}A"
        );
        assert_eq!(future.state().get(), state);
    }
}

#[test]
fn a10_any_message_after_r_x_or_a_is_a_violation() {
    for (prefix, _) in COMPLETE {
        for letter in ['S', 'R', 'X', 'A'] {
            let future = run(prefix).unwrap().future;
            let state = future.state().get();
            assert_eq!(
                future.receive(message_of(letter, true)),
                Err(ProtocolViolation {
                    state,
                    input: input_of(letter)
                }),
                "{prefix}{letter}"
            );
            assert_eq!(future.state().get(), state);
        }
    }
}

type Iter = IterationFuture<u32, u32, String>;

fn iteration_run(sequence: &str) -> Iter {
    let future: Iter = IterationFuture::detached(Default::default(), || {});
    for letter in sequence.chars() {
        let accepted = match letter {
            'C' => future.cancel(),
            'S' => future.receive(TaskMessage::Started).is_ok(),
            'M' => future.receive(TaskMessage::Custom(0)).is_ok(),
            'R' => future.receive(TaskMessage::Returned(8)).is_ok(),
            'X' => future
                .receive(TaskMessage::Failed(TaskError::Panicked("boom".into())))
                .is_ok(),
            'A' => future.receive(TaskMessage::Abandoned).is_ok(),
            other => panic!("unknown letter {other}"),
        };
        assert!(accepted, "{sequence}: {letter} rejected");
    }
    future
}

#[test]
fn a10_custom_message_after_r_x_or_a_is_a_violation_and_not_delivered() {
    for (prefix, _) in COMPLETE {
        let future = iteration_run(prefix);
        let items = Recorder::event(future.items());
        let state = future.state().get();
        assert_eq!(
            future.receive(TaskMessage::Custom(7)),
            Err(ProtocolViolation {
                state,
                input: Input::Custom
            }),
            "{prefix}M"
        );
        assert!(items.is_empty(), "{prefix}M delivered an item");
        assert_eq!(future.state().get(), state);
    }
}

#[test]
fn a11_waiting_s_executing_and_executing_r_completed_x_failed() {
    let future = probe().future;
    assert!(future.receive(TaskMessage::Started).is_ok());
    assert_eq!(future.state().get(), Executing);
    assert!(future.receive(TaskMessage::Returned(8)).is_ok());
    assert_eq!(future.state().get(), Completed);
    assert_eq!(future.result(), Ok(&8));

    let future = run("S").unwrap().future;
    assert!(future
        .receive(TaskMessage::Failed(TaskError::Error("boom".into())))
        .is_ok());
    assert_eq!(future.state().get(), Failed);
    assert_eq!(future.error(), Ok(&TaskError::Error("boom".to_string())));
}

#[test]
fn a11_waiting_c_is_cancelling_before_start() {
    // Before start: A is accepted (-> Cancelled), S is accepted silently, custom messages are
    // violations.
    let future = probe().future;
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    assert!(future.receive(TaskMessage::Abandoned).is_ok());
    assert_eq!(future.state().get(), Cancelled);

    let future = iteration_run("C");
    assert_eq!(
        future.receive(TaskMessage::Custom(1)),
        Err(ProtocolViolation {
            state: Cancelling,
            input: Input::Custom
        })
    );
    assert_eq!(
        future.receive(TaskMessage::Returned(1)),
        Err(ProtocolViolation {
            state: Cancelling,
            input: Input::Returned
        })
    );
}

#[test]
fn a11_executing_c_is_cancelling_after_start() {
    // After start: A and S are violations, custom messages are dropped, R and X -> Cancelled.
    let future = iteration_run("S");
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    let items = Recorder::event(future.items());
    assert!(future.receive(TaskMessage::Abandoned).is_err());
    assert!(future.receive(TaskMessage::Started).is_err());
    assert_eq!(future.receive(TaskMessage::Custom(1)), Ok(()));
    assert!(
        items.is_empty(),
        "a custom message after a cancel was delivered"
    );
    assert_eq!(future.state().get(), Cancelling);
    assert!(future.receive(TaskMessage::Returned(1)).is_ok());
    assert_eq!(future.state().get(), Cancelled);

    let future = iteration_run("SC");
    assert!(future
        .receive(TaskMessage::Failed(TaskError::Panicked("x".into())))
        .is_ok());
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn a11_cancelling_before_start_s_is_cancelling_after_start_without_public_change() {
    let future = iteration_run("C");
    let states = Recorder::observable(future.state());
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    assert!(future.receive(TaskMessage::Started).is_ok());
    assert_eq!(states.values(), [Cancelling]);
    assert_eq!(cancellable.values(), [false]);
    assert_eq!(done.values(), [false]);
    // Now it behaves as cancelling-after-start: A is a violation, custom messages are dropped.
    assert!(future.receive(TaskMessage::Abandoned).is_err());
    let items = Recorder::event(future.items());
    assert_eq!(future.receive(TaskMessage::Custom(3)), Ok(()));
    assert!(items.is_empty());
    assert!(future.receive(TaskMessage::Returned(1)).is_ok());
    assert_eq!(states.values(), [Cancelling, Cancelled]);
}

#[test]
fn a11_cancelling_after_start_r_or_x_is_cancelled() {
    for path in ["SCR", "SCX", "CSR", "CSX"] {
        let future = run(path).unwrap().future;
        assert_eq!(future.state().get(), Cancelled, "{path}");
    }
}

#[test]
fn a11_executing_delivers_custom_messages() {
    let future = iteration_run("S");
    let items = Recorder::event(future.items());
    assert_eq!(future.receive(TaskMessage::Custom(1)), Ok(()));
    assert_eq!(future.receive(TaskMessage::Custom(2)), Ok(()));
    assert_eq!(items.values(), [1, 2]);
    assert_eq!(future.state().get(), Executing);
}

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
    let progress = Recorder::event(future.progress());
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

#[test]
fn a15_cancelled_then_returns_no_result_and_value_dropped() {
    for prefix in ["SC", "CS"] {
        let future: PayloadFuture = CallFuture::detached(Default::default(), || {});
        for letter in prefix.chars() {
            match letter {
                'C' => assert!(future.cancel()),
                _ => future.receive(TaskMessage::Started).unwrap(),
            }
        }
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
        let future: PayloadFuture = CallFuture::detached(Default::default(), || {});
        for letter in prefix.chars() {
            match letter {
                'C' => assert!(future.cancel()),
                _ => future.receive(TaskMessage::Started).unwrap(),
            }
        }
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
