//! The one state machine every future runs, built-in or custom (behaviour a07–a11).
//!
//! Pure data: [`transition`] maps an internal state and an input to the next state, or to a
//! [`ProtocolViolation`]. The future applies the result; nothing else decides a transition.

use crate::error::ProtocolViolation;
use crate::state::{FutureState, Input};

/// Internal states: the public ones, with `Cancelling` split by whether the task has started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MachineState {
    /// No message yet, no cancel.
    Waiting,
    /// `Started` received.
    Executing,
    /// Cancelled before `Started` arrived: expect `Started` or `Abandoned`.
    CancellingBeforeStart,
    /// Cancelled after `Started`: expect `Returned` or `Failed`; custom messages are dropped.
    CancellingAfterStart,
    /// Final: returned.
    Completed,
    /// Final: failed.
    Failed,
    /// Final: cancelled.
    Cancelled,
}

/// What the future must do with a message's payload after a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing visible happens (for example `Started` while cancelling).
    None,
    /// Hand the custom message to the handler.
    Deliver,
    /// Drop the payload unseen (a message that arrived after a cancel).
    Discard,
}

impl MachineState {
    /// The state users see.
    pub fn public(self) -> FutureState {
        match self {
            MachineState::Waiting => FutureState::Waiting,
            MachineState::Executing => FutureState::Executing,
            MachineState::CancellingBeforeStart | MachineState::CancellingAfterStart => {
                FutureState::Cancelling
            }
            MachineState::Completed => FutureState::Completed,
            MachineState::Failed => FutureState::Failed,
            MachineState::Cancelled => FutureState::Cancelled,
        }
    }
}

/// The transition function. `Cancel` on a state that cannot be cancelled is not a violation of
/// the protocol but a no-op for the caller to report (`cancel()` returns `false`); it is returned
/// as an error here so that the caller decides.
pub fn transition(
    state: MachineState,
    input: Input,
) -> Result<(MachineState, Effect), ProtocolViolation> {
    use Input as I;
    use MachineState as M;
    let next = match (state, input) {
        (M::Waiting, I::Started) => (M::Executing, Effect::None),
        (M::Waiting, I::Cancel) => (M::CancellingBeforeStart, Effect::None),
        (M::Executing, I::Cancel) => (M::CancellingAfterStart, Effect::None),
        (M::Executing, I::Custom) => (M::Executing, Effect::Deliver),
        (M::Executing, I::Returned) => (M::Completed, Effect::Deliver),
        (M::Executing, I::Failed) => (M::Failed, Effect::Deliver),
        (M::CancellingBeforeStart, I::Started) => (M::CancellingAfterStart, Effect::None),
        (M::CancellingBeforeStart, I::Abandoned) => (M::Cancelled, Effect::None),
        (M::CancellingAfterStart, I::Custom) => (M::CancellingAfterStart, Effect::Discard),
        (M::CancellingAfterStart, I::Returned | I::Failed) => (M::Cancelled, Effect::Discard),
        (state, input) => {
            return Err(ProtocolViolation {
                state: state.public(),
                input,
            })
        }
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a sequence of single-letter inputs from Waiting.
    pub(crate) fn run(sequence: &str) -> Result<MachineState, ProtocolViolation> {
        sequence
            .chars()
            .try_fold(MachineState::Waiting, |state, c| {
                let input = match c {
                    'C' => Input::Cancel,
                    'S' => Input::Started,
                    'M' => Input::Custom,
                    'R' => Input::Returned,
                    'X' => Input::Failed,
                    'A' => Input::Abandoned,
                    other => panic!("unknown input {other}"),
                };
                transition(state, input).map(|(next, _)| next)
            })
    }

    fn is_done(sequence: &str) -> bool {
        run(sequence).is_ok_and(|s| s.public().is_done())
    }

    #[test]
    fn a07_complete_sequences_are_exactly_the_seven() {
        let letters = ['C', 'S', 'R', 'X', 'A'];
        let mut complete = Vec::new();
        // every sequence over the five letters up to length 3
        let mut frontier = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for letter in letters {
                    let seq = format!("{prefix}{letter}");
                    if is_done(&seq) {
                        complete.push(seq.clone());
                    }
                    next.push(seq);
                }
            }
            frontier = next;
        }
        complete.sort();
        let mut expected = ["SR", "SX", "CSR", "CSX", "SCR", "SCX", "CA"];
        expected.sort();
        assert_eq!(complete, expected);
    }

    #[test]
    fn a08_valid_prefixes() {
        let valid = [
            "", "C", "S", "CA", "CS", "SC", "SR", "SX", "CSR", "CSX", "SCR", "SCX",
        ];
        for prefix in valid {
            assert!(run(prefix).is_ok(), "{prefix:?} should be valid");
        }
    }

    #[test]
    fn a09_every_invalid_one_message_extension_is_detected() {
        let valid = [
            "", "C", "S", "CA", "CS", "SC", "SR", "SX", "CSR", "CSX", "SCR", "SCX",
        ];
        let mut violations = 0;
        for prefix in valid {
            for letter in ['C', 'S', 'R', 'X', 'A'] {
                let seq = format!("{prefix}{letter}");
                if !valid.contains(&seq.as_str()) {
                    assert!(run(&seq).is_err(), "{seq:?} must be a violation");
                    violations += 1;
                }
            }
        }
        // Cancel on a future that is done or already cancelling is among these 49: the machine
        // rejects it, and `cancel()` turns that rejection into `false`.
        assert_eq!(violations, 49);
    }

    #[test]
    fn a10_messages_out_of_order_are_violations() {
        for bad in [
            "R", "X", "A", "SS", "SA", "SRS", "SRR", "SXM", "CAS", "CSA", "SCRA",
        ] {
            assert!(run(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a11_internal_transitions() {
        use MachineState as M;
        let cases = [
            ("S", M::Executing),
            ("C", M::CancellingBeforeStart),
            ("SC", M::CancellingAfterStart),
            ("SR", M::Completed),
            ("SX", M::Failed),
            ("CS", M::CancellingAfterStart),
            ("CA", M::Cancelled),
            ("SCR", M::Cancelled),
            ("SCX", M::Cancelled),
        ];
        for (seq, state) in cases {
            assert_eq!(run(seq).unwrap(), state, "{seq}");
        }
        assert_eq!(
            M::CancellingBeforeStart.public(),
            M::CancellingAfterStart.public()
        );
    }

    #[test]
    fn h110_custom_messages_only_in_executing() {
        assert_eq!(
            transition(MachineState::Executing, Input::Custom).unwrap(),
            (MachineState::Executing, Effect::Deliver)
        );
        assert_eq!(
            transition(MachineState::CancellingAfterStart, Input::Custom).unwrap(),
            (MachineState::CancellingAfterStart, Effect::Discard)
        );
        for state in [
            MachineState::Waiting,
            MachineState::CancellingBeforeStart,
            MachineState::Completed,
            MachineState::Failed,
            MachineState::Cancelled,
        ] {
            assert!(transition(state, Input::Custom).is_err(), "{state:?}");
        }
    }
}
