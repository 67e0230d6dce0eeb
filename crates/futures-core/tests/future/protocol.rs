//! Behaviour section A, a07–a11: the message protocol, every valid sequence and every invalid
//! extension, driven through real futures letter by letter.

use std::collections::BTreeSet;

use traits_futures::testing::Recorder;
use traits_futures::{FutureState, Input, NotAvailable, ProtocolViolation, TaskError, TaskMessage};

use crate::common;
use common::machine::*;

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

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
    // The unfinished prefixes, then the complete sequences (a07's table).
    let unfinished = [
        ("", Waiting),
        ("C", Cancelling),
        ("S", Executing),
        ("CS", Cancelling),
        ("SC", Cancelling),
    ];
    for (prefix, state) in unfinished.into_iter().chain(COMPLETE) {
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
