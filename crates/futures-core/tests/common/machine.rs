//! Helpers for the tests of behaviour section A (`future/state.rs`, `future/protocol.rs`,
//! `future/outcome.rs`): futures driven letter by letter through the protocol.

use std::cell::Cell;
use std::rc::Rc;

use traits_futures::testing::Recorder;
use traits_futures::{
    CallFuture, FutureState, Input, IterationFuture, NotAvailable, TaskError, TaskMessage,
};

use FutureState::{Cancelled, Completed, Failed};

/// The future type most tests drive: a call returning `u32` that can fail with a `String`.
pub type Fut = CallFuture<u32, String>;

/// a07: the complete valid sequences, with the final state each one reaches.
pub const COMPLETE: [(&str, FutureState); 7] = [
    ("SR", Completed),
    ("SX", Failed),
    ("CSR", Cancelled),
    ("CSX", Cancelled),
    ("SCR", Cancelled),
    ("SCX", Cancelled),
    ("CA", Cancelled),
];

/// a08: the valid prefixes.
pub const VALID_PREFIXES: [&str; 12] = [
    "", "C", "S", "CA", "CS", "SC", "SR", "SX", "CSR", "CSX", "SCR", "SCX",
];

pub const LETTERS: [char; 5] = ['C', 'S', 'R', 'X', 'A'];

/// Counts how often it is dropped.
pub struct DropCounter(pub Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A detached future whose cancel callback counts its calls and its own drop.
pub struct Probe {
    pub future: Fut,
    /// How often the cancel callback was called.
    pub cancel_calls: Rc<Cell<usize>>,
    /// How often the cancel callback was dropped (released).
    pub released: Rc<Cell<usize>>,
}

pub fn probe() -> Probe {
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
pub fn input_of(letter: char) -> Input {
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
pub fn message_of(letter: char, late: bool) -> TaskMessage<std::convert::Infallible, u32, String> {
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
pub fn step(future: &Fut, letter: char, late: bool) -> bool {
    match letter {
        'C' => future.cancel(),
        other => future.receive(message_of(other, late)).is_ok(),
    }
}

/// Drives a fresh probe through `sequence`; `None` if any letter was rejected.
pub fn run(sequence: &str) -> Option<Probe> {
    let probe = probe();
    for letter in sequence.chars() {
        if !step(&probe.future, letter, false) {
            return None;
        }
    }
    Some(probe)
}

/// Every sequence over the five letters with at most `max_len` letters (including "").
pub fn all_sequences(max_len: usize) -> Vec<String> {
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
pub struct Snapshot {
    pub state: FutureState,
    pub cancellable: bool,
    pub done: bool,
    pub result: Result<u32, NotAvailable>,
    pub error: Result<TaskError<String>, NotAvailable>,
}

pub fn snapshot(future: &Fut) -> Snapshot {
    Snapshot {
        state: future.state().get(),
        cancellable: future.cancellable().get(),
        done: future.done().get(),
        result: future.result().copied(),
        error: future.error().cloned(),
    }
}

pub struct Flips {
    pub cancellable: Recorder<bool>,
    pub done: Recorder<bool>,
    pub states: Recorder<FutureState>,
}

pub fn flips(future: &Fut) -> Flips {
    Flips {
        cancellable: Recorder::derived(future.cancellable()),
        done: Recorder::derived(future.done()),
        states: Recorder::observable(future.state()),
    }
}

/// An iteration future, for the custom message `M`.
pub type Iter = IterationFuture<u32, u32, String>;

/// Drives a fresh iteration future through `sequence` (`M` is an item); every letter must be accepted.
pub fn iteration_run(sequence: &str) -> Iter {
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
