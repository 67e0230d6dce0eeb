//! Property tests of the shared future state machine (a07–a15), through the public API.
//!
//! Random sequences of messages and cancels are fed to detached futures and checked, step by
//! step, against a reference machine written here from behaviour.md: every step is accepted or
//! rejected exactly as the reference says, a rejected step changes nothing, and after every step
//! the public state (`state`, `cancellable`, `done`, `result`, `error`, the items delivered, the
//! cancel callback's calls and its release) is what the reference predicts.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

use proptest::collection::vec;
use proptest::prelude::*;

use traits_futures::testing::Recorder;
use traits_futures::{FutureState, Input, IterationFuture, NotAvailable, TaskError, TaskMessage};

/// A generator future: items `u16`, result `u32`, error `u8`.
type Future = IterationFuture<u16, u32, u8>;
type Message = TaskMessage<u16, u32, u8>;

/// One step: the user's cancel, or a message from the task.
#[derive(Clone, Debug)]
enum Op {
    Cancel,
    Started,
    Item(u16),
    Returned(u32),
    Failed(TaskError<u8>),
    Abandoned,
}

impl Op {
    fn input(&self) -> Input {
        match self {
            Op::Cancel => Input::Cancel,
            Op::Started => Input::Started,
            Op::Item(_) => Input::Custom,
            Op::Returned(_) => Input::Returned,
            Op::Failed(_) => Input::Failed,
            Op::Abandoned => Input::Abandoned,
        }
    }

    fn message(&self) -> Option<Message> {
        Some(match self {
            Op::Cancel => return None,
            Op::Started => TaskMessage::Started,
            Op::Item(item) => TaskMessage::Custom(*item),
            Op::Returned(value) => TaskMessage::Returned(*value),
            Op::Failed(error) => TaskMessage::Failed(error.clone()),
            Op::Abandoned => TaskMessage::Abandoned,
        })
    }
}

/// The reference machine's states (a11): the public ones, Cancelling split by start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefState {
    Waiting,
    Executing,
    CancellingBeforeStart,
    CancellingAfterStart,
    Completed,
    Failed,
    Cancelled,
}

impl RefState {
    fn public(self) -> FutureState {
        match self {
            RefState::Waiting => FutureState::Waiting,
            RefState::Executing => FutureState::Executing,
            RefState::CancellingBeforeStart | RefState::CancellingAfterStart => {
                FutureState::Cancelling
            }
            RefState::Completed => FutureState::Completed,
            RefState::Failed => FutureState::Failed,
            RefState::Cancelled => FutureState::Cancelled,
        }
    }

    /// The a11 transitions; `None` for a violation (a09, a10) or a cancel that does nothing.
    fn step(self, input: Input) -> Option<RefState> {
        use Input as I;
        use RefState as S;
        Some(match (self, input) {
            (S::Waiting, I::Started) => S::Executing,
            (S::Waiting, I::Cancel) => S::CancellingBeforeStart,
            (S::Executing, I::Cancel) => S::CancellingAfterStart,
            (S::Executing, I::Custom) => S::Executing,
            (S::Executing, I::Returned) => S::Completed,
            (S::Executing, I::Failed) => S::Failed,
            (S::CancellingBeforeStart, I::Started) => S::CancellingAfterStart,
            (S::CancellingBeforeStart, I::Abandoned) => S::Cancelled,
            (S::CancellingAfterStart, I::Custom) => S::CancellingAfterStart,
            (S::CancellingAfterStart, I::Returned | I::Failed) => S::Cancelled,
            _ => return None,
        })
    }
}

/// A detached future under test, with everything needed to observe it.
struct Subject {
    future: Future,
    states: Recorder<FutureState>,
    items: Recorder<u16>,
    cancel_calls: Rc<Cell<usize>>,
    /// Held by the cancel callback only: its strong count tells whether the callback was dropped.
    callback_token: Rc<()>,
}

impl Subject {
    fn new() -> Self {
        let cancel_calls = Rc::new(Cell::new(0));
        let callback_token = Rc::new(());
        let future = Future::detached(Default::default(), {
            let calls = Rc::clone(&cancel_calls);
            let token = Rc::clone(&callback_token);
            move || {
                let _held = &token;
                calls.set(calls.get() + 1);
            }
        });
        Subject {
            states: Recorder::observable(future.state()),
            items: Recorder::event(future.items()),
            future,
            cancel_calls,
            callback_token,
        }
    }

    /// Applies `op`; returns whether the future accepted it.
    fn apply(&self, op: &Op) -> bool {
        match op.message() {
            None => self.future.cancel(),
            Some(message) => self.future.receive(message).is_ok(),
        }
    }

    fn callback_released(&self) -> bool {
        Rc::strong_count(&self.callback_token) == 1
    }
}

/// What the reference predicts for the public state of a future.
#[derive(Clone, Debug, Default)]
struct Expected {
    states: Vec<FutureState>,
    items: Vec<u16>,
    result: Option<u32>,
    error: Option<TaskError<u8>>,
    cancels: usize,
}

/// Runs `ops` against a fresh future and the reference, checking every step; returns the final
/// reference state, the subject and what was expected.
fn run(ops: &[Op]) -> Result<(RefState, Subject, Expected), TestCaseError> {
    let subject = Subject::new();
    let mut state = RefState::Waiting;
    let mut expected = Expected {
        states: vec![FutureState::Waiting],
        ..Expected::default()
    };
    for (i, op) in ops.iter().enumerate() {
        let next = state.step(op.input());
        let before = subject.future.state().get();
        let accepted = match op.message() {
            None => subject.future.cancel(),
            Some(message) => match subject.future.receive(message) {
                Ok(()) => true,
                Err(violation) => {
                    // The violation names the state the future was in, and the input.
                    prop_assert_eq!(violation.state, before);
                    prop_assert_eq!(violation.input, op.input());
                    false
                }
            },
        };
        prop_assert_eq!(
            accepted,
            next.is_some(),
            "step {} ({:?}) from {:?} in {:?}",
            i,
            op,
            state,
            ops
        );
        if let Some(next) = next {
            match op {
                Op::Cancel => expected.cancels += 1,
                Op::Item(item) if state == RefState::Executing => expected.items.push(*item),
                Op::Returned(value) if state == RefState::Executing => {
                    expected.result = Some(*value)
                }
                Op::Failed(error) if state == RefState::Executing => {
                    expected.error = Some(error.clone())
                }
                _ => {}
            }
            if next.public() != state.public() {
                expected.states.push(next.public());
            }
            state = next;
        }
        check(&subject, state, &expected)?;
    }
    Ok((state, subject, expected))
}

/// The public state of `subject` is exactly what the reference predicts.
fn check(subject: &Subject, state: RefState, expected: &Expected) -> Result<(), TestCaseError> {
    let future = &subject.future;
    let public = state.public();
    prop_assert_eq!(future.state().get(), public);
    prop_assert_eq!(future.cancellable().get(), public.is_cancellable());
    prop_assert_eq!(future.done().get(), public.is_done());
    prop_assert_eq!(subject.states.values(), expected.states.clone());
    prop_assert_eq!(subject.items.values(), expected.items.clone());
    prop_assert_eq!(subject.cancel_calls.get(), expected.cancels);
    prop_assert!(expected.cancels <= 1);
    // a12: released exactly when done.
    prop_assert_eq!(subject.callback_released(), public.is_done());
    // a14, a15: result only when Completed, error only when Failed.
    match (public, expected.result) {
        (FutureState::Completed, Some(value)) => prop_assert_eq!(future.result(), Ok(&value)),
        _ => prop_assert_eq!(future.result(), Err(NotAvailable::NoResult(public))),
    }
    match (public, &expected.error) {
        (FutureState::Failed, Some(error)) => prop_assert_eq!(future.error(), Ok(error)),
        _ => prop_assert_eq!(future.error(), Err(NotAvailable::NoError(public))),
    }
    Ok(())
}

fn failure() -> impl Strategy<Value = TaskError<u8>> {
    prop_oneof![
        any::<u8>().prop_map(TaskError::Error),
        "[a-z]{0,8}".prop_map(TaskError::Panicked),
        Just(TaskError::Dropped),
    ]
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Cancel),
        Just(Op::Started),
        any::<u16>().prop_map(Op::Item),
        any::<u32>().prop_map(Op::Returned),
        failure().prop_map(Op::Failed),
        Just(Op::Abandoned),
    ]
}

/// A complete valid sequence (a07), with custom messages wherever they are allowed (h110):
/// S M* R|X, S M* C M* R|X, C S M* R|X, or C A.
fn complete_sequence() -> impl Strategy<Value = Vec<Op>> {
    let items = || vec(any::<u16>().prop_map(Op::Item), 0..4);
    let end = || {
        prop_oneof![
            any::<u32>().prop_map(Op::Returned),
            failure().prop_map(Op::Failed),
        ]
    };
    let join = |parts: Vec<Vec<Op>>| parts.into_iter().flatten().collect::<Vec<_>>();
    prop_oneof![
        (items(), end()).prop_map(move |(m, e)| join(vec![vec![Op::Started], m, vec![e]])),
        (items(), items(), end()).prop_map(move |(m1, m2, e)| join(vec![
            vec![Op::Started],
            m1,
            vec![Op::Cancel],
            m2,
            vec![e]
        ])),
        (items(), end()).prop_map(move |(m, e)| join(vec![
            vec![Op::Cancel, Op::Started],
            m,
            vec![e]
        ])),
        Just(vec![Op::Cancel, Op::Abandoned]),
    ]
}

/// The public outcome a complete sequence must end in.
fn expected_end(ops: &[Op]) -> FutureState {
    let cancelled = ops.iter().any(|op| matches!(op, Op::Cancel));
    match ops.last() {
        _ if cancelled => FutureState::Cancelled,
        Some(Op::Returned(_)) => FutureState::Completed,
        Some(Op::Failed(_)) => FutureState::Failed,
        other => panic!("not a complete sequence: ends with {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// a07–a11, a12, a14, a15: any sequence at all (mostly invalid ones) is accepted and
    /// rejected step by step exactly as the reference machine says, and the public state always
    /// matches it.
    #[test]
    fn a07_a11_random_sequences_follow_the_reference_machine(ops in vec(any_op(), 0..12)) {
        run(&ops)?;
    }

    /// a07: every complete valid sequence, items included, is accepted in full and ends done, in
    /// the outcome it implies, with the callback released and the result or error available.
    #[test]
    fn a07_complete_sequences_end_done_with_consistent_state(ops in complete_sequence()) {
        let (state, subject, expected) = run(&ops)?;
        let end = expected_end(&ops);
        prop_assert_eq!(state.public(), end);
        prop_assert!(subject.future.done().get());
        prop_assert!(subject.callback_released());
        prop_assert_eq!(subject.future.result().is_ok(), end == FutureState::Completed);
        prop_assert_eq!(subject.future.error().is_ok(), end == FutureState::Failed);
        // Items are delivered exactly while Executing: those before a cancel, in order.
        let delivered: Vec<u16> = ops
            .iter()
            .take_while(|op| !matches!(op, Op::Cancel))
            .filter_map(|op| match op { Op::Item(item) => Some(*item), _ => None })
            .collect();
        prop_assert_eq!(expected.items, delivered.clone());
        prop_assert_eq!(subject.items.values(), delivered);
    }

    /// a08, a09, a10: cut a complete sequence anywhere; every one-step extension of that valid
    /// prefix that the reference rejects is detected by the future (a `ProtocolViolation`, or
    /// `cancel()` returning false) and changes nothing, then the rest of the sequence still
    /// completes it normally.
    #[test]
    fn a09_every_invalid_extension_of_a_valid_prefix_is_detected(
        ops in complete_sequence(),
        cut in any::<prop::sample::Index>(),
        extensions in vec(any_op(), 1..8),
    ) {
        let cut = cut.index(ops.len() + 1);
        let (state, subject, expected) = run(&ops[..cut])?;
        let mut rejected = 0;
        for op in &extensions {
            if state.step(op.input()).is_some() {
                continue; // a valid extension: not what this test is about
            }
            prop_assert!(!subject.apply(op), "{:?} after {:?} was accepted", op, &ops[..cut]);
            check(&subject, state, &expected)?;
            rejected += 1;
        }
        // The future is untouched by the rejected steps: the valid rest still drives it to its end.
        for op in &ops[cut..] {
            prop_assert!(subject.apply(op), "{:?} rejected after {} rejected extensions", op, rejected);
        }
        prop_assert_eq!(subject.future.state().get(), expected_end(&ops));
    }
}

/// The generator of complete sequences covers exactly the seven shapes of a07 once items are
/// removed (so the properties above are about the right sequences).
#[test]
fn a07_the_complete_sequence_generator_covers_the_seven_shapes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let letters = |ops: &[Op]| -> String {
        ops.iter()
            .filter_map(|op| match op {
                Op::Cancel => Some('C'),
                Op::Started => Some('S'),
                Op::Returned(_) => Some('R'),
                Op::Failed(_) => Some('X'),
                Op::Abandoned => Some('A'),
                Op::Item(_) => None,
            })
            .collect()
    };
    let mut runner = TestRunner::deterministic();
    let strategy = complete_sequence();
    let mut seen = BTreeSet::new();
    for _ in 0..2000 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        seen.insert(letters(&ops));
    }
    let expected: BTreeSet<String> = ["SR", "SX", "CSR", "CSX", "SCR", "SCX", "CA"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(seen, expected);
}
